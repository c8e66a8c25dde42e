/**
 * An audit through `--backend openai` against `litmus serve` (both real, on 127.0.0.1) gives the
 * in-process audit's completions and likelihood scores, and a run killed by a failing server
 * resumes without asking for any completion twice.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runAudit } from "../../src/audit/run.js";
import type { AuditOptions } from "../../src/audit/types.js";
import { CANARY_MODEL_DIR } from "../../src/data/litmus-mini.js";
import { OnnxBackend } from "../../src/runner/index.js";
import { type RunningServer, startServer } from "../../src/serve/index.js";
import { makeTempDir } from "../helpers/data-fixtures.js";
import { faultyProxy, quietDeps, runSamples } from "./faulty-proxy.js";
import { auditOptions } from "./helpers.js";

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
    const proxy = await faultyProxy(
      server.url,
      (url, body) => url.endsWith("/completions") && !(JSON.parse(body) as { echo?: boolean }).echo,
    );
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
        runAudit(base(viaHttp, { model: "openai:canary", openai }), { failOn: [] }, quietDeps()),
        /HTTP 500: simulated outage/,
      );
      assert.equal(proxy.state.forwarded, 10);
      proxy.state.failAfter = Number.POSITIVE_INFINITY;
      const resumed = await runAudit(
        base(viaHttp, { model: "openai:canary", openai }),
        { failOn: [] },
        quietDeps(),
      );
      assert.equal(resumed.resumed, true);
      const total = runSamples(viaHttp).length;
      assert.equal(proxy.state.forwarded, total, "every completion asked for exactly once");
      assert.equal(resumed.generated, total - 10);

      const inProcess = join(tmp.dir, "onnx");
      await runAudit(base(inProcess), { failOn: [] }, { ...quietDeps(), hashModel: async () => ({}) });
      const key = (r: Record<string, unknown>) => `${r["request_id"]}#${r["sample_index"]}`;
      const direct = new Map(runSamples(inProcess).map((r) => [key(r), r]));
      assert.equal(direct.size, total);
      for (const r of runSamples(viaHttp)) {
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
