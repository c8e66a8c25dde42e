import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

// bin/litmus, the command npm links: a shell launcher that starts Node with huge pages asked for.
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const LAUNCHER = join(ROOT, "bin/litmus");
const MAIN = join(ROOT, "dist/src/cli/main.js");

const dir = mkdtempSync(join(tmpdir(), "litmus-launcher-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// A `node` that stands in for Node on PATH: records what it was started with, then exits with
// FAKE_EXIT (or waits for a signal when FAKE_WAIT is set, to show it is the launched process).
const FAKE_BIN = join(dir, "fake-bin");
mkdirSync(FAKE_BIN);
writeFileSync(
  join(FAKE_BIN, "node"),
  `#!${process.execPath}
const { writeFileSync } = require("node:fs");
writeFileSync(process.env.OUT_FILE, JSON.stringify({
  tunables: process.env.GLIBC_TUNABLES ?? null,
  args: process.argv.slice(2),
  pid: process.pid,
}));
if (process.env.FAKE_WAIT) setInterval(() => {}, 1000);
else process.exitCode = Number(process.env.FAKE_EXIT ?? 0);
`,
);
chmodSync(join(FAKE_BIN, "node"), 0o755);
const PATH = `${FAKE_BIN}:/usr/bin:/bin`;

interface Started {
  tunables: string | null;
  args: string[];
  pid: number;
}

let runs = 0;
/** Runs `launcher` with `args` and only `env` (and PATH) set; gives what "Node" got and the exit code. */
function launch(
  args: string[],
  env: Record<string, string>,
  launcher = LAUNCHER,
): Promise<Started & { code: number }> {
  const out = join(dir, `started-${runs++}.json`);
  return new Promise((resolve) => {
    execFile(launcher, args, { env: { PATH, OUT_FILE: out, ...env } }, (err) => {
      const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
      resolve({ ...(JSON.parse(readFileSync(out, "utf8")) as Started), code });
    });
  });
}

describe("bin/litmus", () => {
  it("asks glibc for transparent huge pages and starts the CLI with the arguments untouched", async () => {
    const args = ["audit", "--out", "a b", "", 'say "hi"', "back\\slash", "line\nbreak", "*", "$HOME", "-x"];
    const started = await launch(args, {});
    assert.equal(started.tunables, "glibc.malloc.hugetlb=1");
    assert.equal(started.args[0], MAIN);
    assert.deepEqual(started.args.slice(1), args);
    assert.equal((await launch([], { GLIBC_TUNABLES: "" })).tunables, "glibc.malloc.hugetlb=1");
  });

  it("keeps tunables already set, and a hugetlb choice already made wherever it stands", async () => {
    const added = await launch([], { GLIBC_TUNABLES: "glibc.malloc.arena_max=2" });
    assert.equal(added.tunables, "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
    for (const chosen of [
      "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0",
      "glibc.malloc.hugetlb=0",
      "glibc.malloc.hugetlb=2:glibc.malloc.arena_max=2",
    ])
      assert.equal((await launch([], { GLIBC_TUNABLES: chosen })).tunables, chosen);
  });

  it("LITMUS_HUGE_PAGES=0 leaves the environment as it was", async () => {
    assert.equal((await launch([], { LITMUS_HUGE_PAGES: "0" })).tunables, null);
    const kept = await launch([], { LITMUS_HUGE_PAGES: "0", GLIBC_TUNABLES: "glibc.malloc.arena_max=2" });
    assert.equal(kept.tunables, "glibc.malloc.arena_max=2");
  });

  it("prefers the node on PATH to npm's, and uses npm's only where PATH has none", async () => {
    const other = join(dir, "other-node");
    writeFileSync(other, `#!/bin/sh\necho '{"tunables":null,"args":["npm-node"],"pid":0}' > "$OUT_FILE"\n`);
    chmodSync(other, 0o755);
    assert.equal((await launch([], { npm_node_execpath: other })).args[0], MAIN);
    const out = join(dir, "npm-node.json");
    const noNode = join(dir, "empty-bin");
    mkdirSync(noNode);
    // A PATH with the tools the launcher uses, and no node.
    for (const tool of ["sh", "readlink", "dirname"])
      symlinkSync(existsSync(`/usr/bin/${tool}`) ? `/usr/bin/${tool}` : `/bin/${tool}`, join(noNode, tool));
    await new Promise<void>((resolve) =>
      execFile(LAUNCHER, [], { env: { PATH: noNode, OUT_FILE: out, npm_node_execpath: other } }, () =>
        resolve(),
      ),
    );
    assert.deepEqual((JSON.parse(readFileSync(out, "utf8")) as Started).args, ["npm-node"]);
  });

  it("finds the CLI through npm's relative symlink (node_modules/.bin/litmus -> ../litmus/bin/litmus)", async () => {
    const modules = join(dir, "project/node_modules");
    mkdirSync(join(modules, ".bin"), { recursive: true });
    symlinkSync(ROOT, join(modules, "litmus"));
    symlinkSync("../litmus/bin/litmus", join(modules, ".bin/litmus"));
    const started = await launch(["--version"], {}, join(modules, ".bin/litmus"));
    assert.equal(started.args[0], MAIN);
  });

  it("replaces itself with Node (exec): same process id, its exit code, its signals", async () => {
    assert.equal((await launch([], { FAKE_EXIT: "3" })).code, 3);
    const out = join(dir, "exec.json");
    const child = spawn(LAUNCHER, [], { env: { PATH, OUT_FILE: out, FAKE_WAIT: "1" } });
    while (!existsSync(out) || readFileSync(out, "utf8") === "") await new Promise((r) => setTimeout(r, 20));
    assert.equal((JSON.parse(readFileSync(out, "utf8")) as Started).pid, child.pid);
    child.kill("SIGTERM");
    const [code, signal] = await once(child, "exit");
    assert.equal(code, null);
    assert.equal(signal, "SIGTERM");
  });

  it("runs the real CLI with real Node: exit codes pass through", async () => {
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env["PATH"] ?? ""}` };
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(LAUNCHER, args, { env }, (err, stdout) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }),
        );
      });
    const version = await run(["--version"]);
    assert.equal(version.code, 0);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    assert.equal(version.stdout.trim(), pkg.version);
    assert.equal((await run(["perturb", "--no-such-flag"])).code, 2);
  });
});
