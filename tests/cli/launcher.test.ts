import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

// bin/litmus, the command npm links: a shell launcher that starts Node with huge pages asked for.
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const LAUNCHER = join(ROOT, "bin/litmus");

const dir = mkdtempSync(join(tmpdir(), "litmus-launcher-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// Stands in for Node: writes what it was started with (environment and arguments) as JSON.
const FAKE_NODE = join(dir, "fake-node");
writeFileSync(
  FAKE_NODE,
  `#!/bin/sh\n{ printf '{"tunables":"%s","set":%s,"args":[' "$GLIBC_TUNABLES" "$([ -n "\${GLIBC_TUNABLES+x}" ] && echo true || echo false)"; sep=; for a in "$@"; do printf '%s"%s"' "$sep" "$a"; sep=,; done; printf ']}'; } > "$OUT_FILE"\n`,
);
chmodSync(FAKE_NODE, 0o755);

interface Started {
  tunables: string;
  set: boolean;
  args: string[];
}

let runs = 0;
/** Runs `launcher` with `args` and `env` (nothing else inherited but PATH); gives what "Node" got. */
function launch(args: string[], env: Record<string, string>, launcher = LAUNCHER): Promise<Started> {
  const out = join(dir, `started-${runs++}.json`);
  return new Promise((resolve, reject) => {
    execFile(
      launcher,
      args,
      {
        env: {
          PATH: process.env["PATH"] ?? "/usr/bin:/bin",
          npm_node_execpath: FAKE_NODE,
          OUT_FILE: out,
          ...env,
        },
      },
      (err) => (err ? reject(err) : resolve(JSON.parse(readFileSync(out, "utf8")) as Started)),
    );
  });
}

describe("bin/litmus", () => {
  it("asks glibc for transparent huge pages and starts the CLI with the arguments untouched", async () => {
    const started = await launch(["audit", "--out", "a b", "--fail-on", "stale_rate>0.05"], {});
    assert.equal(started.tunables, "glibc.malloc.hugetlb=1");
    assert.equal(started.args[0], join(ROOT, "dist/src/cli/main.js"));
    assert.deepEqual(started.args.slice(1), ["audit", "--out", "a b", "--fail-on", "stale_rate>0.05"]);
  });

  it("keeps tunables already set, and a hugetlb choice already made", async () => {
    const added = await launch([], { GLIBC_TUNABLES: "glibc.malloc.arena_max=2" });
    assert.equal(added.tunables, "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
    const chosen = await launch([], { GLIBC_TUNABLES: "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0" });
    assert.equal(chosen.tunables, "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0");
  });

  it("LITMUS_HUGE_PAGES=0 leaves the environment as it was", async () => {
    assert.equal((await launch([], { LITMUS_HUGE_PAGES: "0" })).set, false);
    const kept = await launch([], { LITMUS_HUGE_PAGES: "0", GLIBC_TUNABLES: "glibc.malloc.arena_max=2" });
    assert.equal(kept.tunables, "glibc.malloc.arena_max=2");
  });

  it("finds the CLI through a symlink, as npm links it into node_modules/.bin", async () => {
    const link = join(dir, "litmus");
    symlinkSync(LAUNCHER, link);
    const started = await launch(["--version"], {}, link);
    assert.equal(started.args[0], join(ROOT, "dist/src/cli/main.js"));
  });

  it("runs the real CLI with real Node: exit codes pass through", async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(
          LAUNCHER,
          args,
          { env: { ...process.env, npm_node_execpath: process.execPath } },
          (err, stdout) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }),
        );
      });
    const version = await run(["--version"]);
    assert.equal(version.code, 0);
    assert.equal(
      version.stdout.trim(),
      (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version,
    );
    assert.equal((await run(["perturb", "--no-such-flag"])).code, 2);
  });
});
