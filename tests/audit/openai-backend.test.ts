/**
 * An audit through `--backend openai` against `litmus serve` (both real, on 127.0.0.1) gives the
 * in-process audit's completions and likelihood scores, and a run killed by a failing server
 * resumes without asking for any completion twice.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openAuditBackend } from "../../src/audit/backends.js";
import { type AuditDeps, runAudit } from "../../src/audit/run.js";
import type { AuditOptions } from "../../src/audit/types.js";
import { CANARY_MODEL_DIR } from "../../src/data/litmus-mini.js";
import { OnnxBackend } from "../../src/runner/index.js";
import { type RunningServer, startServer } from "../../src/serve/index.js";
import { makeTempDir } from "../helpers/data-fixtures.js";
import { auditOptions } from "./helpers.js";

/** Forwards to `target`; while `failing`, answers completions (not model listings) with 500. */
async function faultyProxy(target: string): Promise<{
  url: string;
  state: { failing: boolean; failAfter: number; generateForwarded: number };
  close: () => Promise<void>;
}> {
  const state = { failing: false, failAfter: Number.POSITIVE_INFINITY, generateForwarded: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const isGenerate = req.url?.endsWith("/completions") && !(JSON.parse(raw) as { echo?: boolean }).echo;
      if (isGenerate && (state.failing || state.generateForwarded >= state.failAfter)) {
        state.failing = true;
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "simulated outage" } }));
        return;
      }
      if (isGenerate) state.generateForwarded++;
      const answer = await fetch(`${target}${req.url!.replace(/^\/v1/, "")}`, {
        method: req.method!,
        headers: { "content-type": "application/json" },
        ...(raw ? { body: raw } : {}),
      });
      const text = await answer.text();
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    state,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function deps(): AuditDeps {
  return {
    openBackend: (o) => openAuditBackend(o, () => {}),
    progress: null,
    log: () => {},
    print: () => {},
  };
}

function samples(dir: string): Array<Record<string, unknown>> {
  return readFileSync(join(dir, "samples.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("audit through --backend openai against litmus serve", () => {
  let model: OnnxBackend;
  let server: RunningServer;
  let tmp: { dir: string; cleanup: () => Promise<void> };

  before(async () => {
    model = await OnnxBackend.open(CANARY_MODEL_DIR, { threads: 1 });
    server = await startServer(model, { modelName: "canary", port: 0 });
    tmp = await makeTempDir("litmus-openai-");
  });
  after(async () => {
    await server.close();
    await model.close();
    await tmp.cleanup();
  });

  const base = (out: string, extra: Partial<AuditOptions> = {}): AuditOptions =>
    auditOptions("litmus-mini", out, {
      model: CANARY_MODEL_DIR,
      limit: 3,
      n: 2,
      ks: [1, 2],
      maxNewTokens: 24,
      detectors: true,
      ...extra,
    });

  it("gives the in-process completions and scores, resuming a killed run without repeating a request", async () => {
    const proxy = await faultyProxy(server.url);
    try {
      const openai = {
        endpoint: proxy.url,
        modelName: "canary",
        concurrency: 4,
        timeoutS: 60,
        retries: 1,
        bosText: "<|endoftext|>",
      };
      const viaHttp = join(tmp.dir, "http");
      // The server fails after 10 completions: the audit stops with its error, keeping what it got.
      proxy.state.failAfter = 10;
      await assert.rejects(
        runAudit(base(viaHttp, { model: "openai:canary", openai }), { failOn: [] }, deps()),
        /HTTP 500: simulated outage/,
      );
      assert.equal(proxy.state.generateForwarded, 10);
      proxy.state.failing = false;
      proxy.state.failAfter = Number.POSITIVE_INFINITY;
      const resumed = await runAudit(
        base(viaHttp, { model: "openai:canary", openai }),
        { failOn: [] },
        deps(),
      );
      assert.equal(resumed.resumed, true);
      const total = samples(viaHttp).length;
      assert.equal(proxy.state.generateForwarded, total, "every completion asked for exactly once");
      assert.equal(resumed.generated, total - 10);

      const inProcess = join(tmp.dir, "onnx");
      await runAudit(base(inProcess), { failOn: [] }, { ...deps(), hashModel: async () => ({}) });
      const key = (r: Record<string, unknown>) => `${r["request_id"]}#${r["sample_index"]}`;
      const direct = new Map(samples(inProcess).map((r) => [key(r), r]));
      assert.equal(direct.size, total);
      for (const r of samples(viaHttp)) {
        const d = direct.get(key(r))!;
        assert.equal(r["completion"], d["completion"], key(r));
        assert.equal(r["finish_reason"], d["finish_reason"], key(r));
        assert.equal(r["seed"], d["seed"], key(r));
      }

      const detectors = (dir: string) =>
        (
          JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as {
            detectors: {
              unavailable: Record<string, string>;
              problems: Array<{
                original: { min_k: number; log_likelihood: number; min_k_plus_plus: number | null };
              }>;
            };
          }
        ).detectors;
      const a = detectors(viaHttp);
      const b = detectors(inProcess);
      assert.match(a.unavailable["min_k_plus_plus"] ?? "", /distribution/);
      assert.deepEqual(b.unavailable, {});
      a.problems.forEach((p, i) => {
        const q = b.problems[i]!;
        assert.ok(Math.abs(p.original.min_k - q.original.min_k) < 1e-4);
        assert.ok(Math.abs(p.original.log_likelihood - q.original.log_likelihood) < 1e-3);
        assert.equal(p.original.min_k_plus_plus, null);
      });
      const html = readFileSync(join(viaHttp, "report.html"), "utf8");
      assert.match(html, /Not available with this backend: Min-K%\+\+/);
      const summary = JSON.parse(readFileSync(join(viaHttp, "summary.json"), "utf8")) as {
        manifest: {
          config: { served?: { model: string }; execution_provider?: string; executionProvider?: string };
        };
      };
      assert.equal(summary.manifest.config.served?.model, "canary");
      // The decode path is the in-process runner's: a served model's is the server's own affair.
      const decodePath = (dir: string) =>
        (JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as { decode_path: unknown }).decode_path;
      assert.equal(decodePath(viaHttp), null);
      assert.deepEqual(decodePath(inProcess), { path: "slot-cache", reason: null });
    } finally {
      await proxy.close();
    }
  });
});
