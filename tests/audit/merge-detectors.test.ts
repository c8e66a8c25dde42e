/**
 * Detector scores live in the run store: a resumed audit scores no text twice, and `litmus merge`
 * builds the merged run's detectors (and detector-informed verdicts) from the shards' stored
 * scores without a model, matching an unsharded run.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { mergeRuns } from "../../src/audit/merge.js";
import { type AuditDeps, runAudit } from "../../src/audit/run.js";
import type { AuditOptions } from "../../src/audit/types.js";
import { CANARY_MODEL_DIR } from "../../src/data/litmus-mini.js";
import { OnnxBackend } from "../../src/runner/index.js";
import type { Backend, ScoreRequest } from "../../src/runner/types.js";
import { SqliteRunStore } from "../../src/store/index.js";
import { makeTempDir } from "../helpers/data-fixtures.js";
import { auditOptions } from "./helpers.js";

/** The real canary model, counting the texts it is asked to score. */
function counting(model: OnnxBackend): Backend & { scored: number } {
  const wrapper = {
    id: model.id,
    scored: 0,
    generate: model.generate.bind(model),
    score: async (requests: ScoreRequest[]) => {
      wrapper.scored += requests.length;
      return model.score(requests);
    },
    close: async () => {},
  };
  return wrapper;
}

type Summary = {
  verdicts: Array<{ problem_id: string; verdict: string; evidence?: string[] }>;
  verdict_counts: Record<string, number>;
  detectors: {
    gap: { all: { mean: number } };
    cdd: unknown;
    unavailable: Record<string, string>;
    problems: Array<{ problem_id: string; evidence: string[]; original: { min_k: number } }>;
  };
};

describe("detector scores in the run store", () => {
  let model: OnnxBackend;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  before(async () => {
    model = await OnnxBackend.open(CANARY_MODEL_DIR, { threads: 1 });
    tmp = await makeTempDir("litmus-merge-det-");
  });
  after(async () => {
    await model.close();
    await tmp.cleanup();
  });

  const options = (out: string, extra: Partial<AuditOptions> = {}): AuditOptions =>
    auditOptions("litmus-mini", out, {
      model: CANARY_MODEL_DIR,
      limit: 4,
      n: 2,
      ks: [1, 2],
      maxNewTokens: 24,
      detectors: true,
      ...extra,
    });
  const deps = (backend: Backend): AuditDeps => ({
    openBackend: async () => ({ backend, executionProvider: "cpu" }),
    progress: null,
    log: () => {},
    print: () => {},
    hashModel: async () => ({}),
  });
  const summary = (dir: string) => JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as Summary;

  it("resumes without scoring a text twice, and merged shards match the unsharded run", async () => {
    const full = join(tmp.dir, "full");
    const first = counting(model);
    await runAudit(options(full), { failOn: [] }, deps(first));
    const store = SqliteRunStore.openDir(full);
    const stored = store.textScores().length;
    store.close();
    assert.equal(first.scored, stored, "each text scored once and stored");
    assert.ok(stored >= 4 * 2, `${stored} stored text scores`);

    const again = counting(model);
    const resumed = await runAudit(options(full), { failOn: [] }, deps(again));
    assert.equal(resumed.resumed, true);
    assert.equal(again.scored, 0, "a resumed run reuses every stored score");

    const shards = [1, 2].map((i) => join(tmp.dir, `shard-${i}`));
    for (const [i, out] of shards.entries())
      await runAudit(
        options(out, { shard: { index: i + 1, count: 2 } }),
        { failOn: [] },
        deps(counting(model)),
      );
    const merged = join(tmp.dir, "merged");
    await mergeRuns(shards, merged);

    const a = summary(merged);
    const b = summary(full);
    assert.deepEqual(a.detectors.cdd, b.detectors.cdd, "CDD is recomputed from the same completions");
    assert.ok(Math.abs(a.detectors.gap.all.mean - b.detectors.gap.all.mean) < 1e-4);
    const byId = new Map(b.detectors.problems.map((p) => [p.problem_id, p]));
    for (const p of a.detectors.problems) {
      const q = byId.get(p.problem_id)!;
      assert.deepEqual(p.evidence, q.evidence, p.problem_id);
      assert.ok(Math.abs(p.original.min_k - q.original.min_k) < 1e-4);
    }
    assert.deepEqual(
      a.verdicts.map((v) => [v.problem_id, v.verdict, v.evidence]),
      b.verdicts.map((v) => [v.problem_id, v.verdict, v.evidence]),
      "verdicts, detector-informed, agree",
    );
    assert.ok(a.verdicts.every((v) => Array.isArray(v.evidence)));
  });
});
