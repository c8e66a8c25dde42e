import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CANARY_MODEL_DIR } from "../../src/data/litmus-mini.js";
import { longQuestion, makeTempDir, problemLine, writeFixture } from "../helpers/data-fixtures.js";
import { oneLineError, runLitmus } from "./run-litmus.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

describe("litmus audit --backend openai: flags", () => {
  const cases: Array<[string[], RegExp]> = [
    [["--backend", "openai", "--model-name", "m"], /--backend openai needs --endpoint/],
    [["--backend", "openai", "--endpoint", "http://127.0.0.1:9/v1"], /needs --model-name/],
    [["--endpoint", "http://127.0.0.1:9/v1"], /--endpoint needs --backend openai/],
    [
      ["--backend", "openai", "--model", "x", "--endpoint", "http://h/v1", "--model-name", "m"],
      /not --model/,
    ],
    [
      [
        "--backend",
        "openai",
        "--endpoint",
        "ftp://h/v1",
        "--model-name",
        "m",
        "--dataset",
        "litmus-mini",
        "--out",
        "o",
      ],
      /http\(s\) URL/,
    ],
    [
      [
        "--backend",
        "openai",
        "--endpoint",
        "http://h/v1",
        "--model-name",
        "m",
        "--dataset",
        "litmus-mini",
        "--out",
        "o",
        "--api-key-env",
        "LITMUS_TEST_UNSET_VAR",
      ],
      /LITMUS_TEST_UNSET_VAR: the variable is not set/,
    ],
  ];
  for (const [args, message] of cases) {
    it(`rejects ${args.join(" ")} with one line, exit 2`, async () => {
      const r = await runLitmus(["audit", ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(oneLineError(r) ?? "", message);
    });
  }

  for (const [args, message] of [
    [["--max-completion-bytes", "100"], /--max-completion-bytes must be an integer from 1024/],
  ] as Array<[string[], RegExp]>) {
    it(`rejects ${args.join(" ")} with one line, exit 2`, async () => {
      const r = await runLitmus([
        "audit",
        "--backend",
        "openai",
        "--endpoint",
        "http://127.0.0.1:9/v1",
        "--model-name",
        "m",
        "--dataset",
        "litmus-mini",
        "--out",
        "o",
        ...args,
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(oneLineError(r) ?? "", message);
    });
  }

  for (const flag of ["--max-prompts", "--max-request-tokens", "--max-body-bytes"])
    it(`litmus serve rejects ${flag} 0 with one line, exit 2`, async () => {
      const r = await runLitmus(["serve", "--model", CANARY_MODEL_DIR, "--port", "0", flag, "0"]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(oneLineError(r) ?? "", new RegExp(`^litmus: ${flag} must be a positive integer, got 0$`));
    });

  it("fails fast with one line when nothing answers at the endpoint", async () => {
    const { dir, cleanup } = await makeTempDir();
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const endpoint = `http://127.0.0.1:${port}/v1`;
    try {
      const r = await runLitmus([
        "audit",
        "--backend",
        "openai",
        "--endpoint",
        endpoint,
        "--model-name",
        "m",
        "--dataset",
        "litmus-mini",
        "--limit",
        "1",
        "--out",
        join(dir, "run"),
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        oneLineError(r) ?? "",
        /cannot list the models of .* \(check --endpoint\): .*ECONNREFUSED/,
      );
    } finally {
      await cleanup();
    }
  });
});

describe("litmus serve + litmus audit --backend openai, as processes", () => {
  let server: ReturnType<typeof spawn>;
  let url: string;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let serverErr = "";

  before(async () => {
    tmp = await makeTempDir();
    server = spawn(process.execPath, [MAIN, "serve", "--model", CANARY_MODEL_DIR, "--port", "0", "--quiet"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    url = await new Promise<string>((resolve, reject) => {
      server.stderr!.on("data", (chunk: Buffer) => {
        serverErr += chunk.toString();
        const m = /serving canary at (\S+)/.exec(serverErr);
        if (m) resolve(m[1]!);
      });
      server.once("exit", (code) => reject(new Error(`serve exited ${code}: ${serverErr}`)));
    });
  });
  after(async () => {
    if (server.exitCode === null) server.kill("SIGKILL");
    await tmp.cleanup();
  });

  it("measures prompts with the server's /tokenize before any generation (exit 2, or --skip-too-long)", async () => {
    // The canary's context is 1,024 tokens: a question of some 1,500 cannot fit.
    const long = longQuestion(100);
    const dataset = await writeFixture(
      tmp.dir,
      "with-long.jsonl",
      [
        problemLine(
          "Tom has 3 apples and buys 4 more. How many apples does he have?",
          "3+4=<<3+4=7>>7\n#### 7",
        ),
        problemLine(long, "5+3=<<5+3=8>>8\n#### 8"),
      ].join("\n"),
    );
    const args = (out: string) => [
      "audit",
      "--backend",
      "openai",
      "--endpoint",
      url,
      "--model-name",
      "canary",
      "--dataset",
      dataset,
      "--probes",
      "newline",
      "--n",
      "0",
      "--max-new-tokens",
      "4",
      "--quiet",
      "--out",
      join(tmp.dir, out),
    ];
    const stopped = await runLitmus(args("long"));
    assert.equal(stopped.code, 2, stopped.stderr);
    assert.match(
      oneLineError(stopped) ?? "",
      /prompt of data-[0-9a-f]{8}:2 \(original\): \d+ tokens do not fit the model's context window of 1024 tokens/,
    );
    assert.equal(
      existsSync(join(tmp.dir, "long", "run.sqlite")),
      false,
      "nothing planned, nothing generated",
    );
    const skipped = await runLitmus([...args("skipped"), "--skip-too-long"]);
    assert.equal(skipped.code, 0, skipped.stderr);
    const summary = JSON.parse(readFileSync(join(tmp.dir, "skipped", "summary.json"), "utf8"));
    assert.equal(summary.counts.skipped_too_long, 1);
    assert.equal(summary.counts.problems, 1);
  });

  it("audits the served model, then the server stops cleanly on SIGTERM", async () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const out = join(tmp.dir, "run");
    const r = await runLitmus([
      "audit",
      "--backend",
      "openai",
      "--endpoint",
      url,
      "--model-name",
      "canary",
      "--dataset",
      "litmus-mini",
      "--limit",
      "2",
      "--n",
      "0",
      "--max-new-tokens",
      "16",
      "--out",
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(out, "report.html")));
    assert.match(r.stdout, /completions, 0 without an answer|completions/);
    const exited = new Promise<number | null>((resolve) => server.once("exit", (code) => resolve(code)));
    server.kill("SIGTERM");
    assert.equal(await exited, 0);
    assert.match(serverErr, /stopping/);
  });
});
