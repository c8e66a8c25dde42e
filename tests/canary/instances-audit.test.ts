/**
 * `--instances 20` end to end: the canary model on litmus-mini, three answer-changing probes, 20
 * number instantiations each, greedy only. Every figure of the summary's instance sets is
 * recomputed here from samples.jsonl and the stored variants, and the report's distribution is
 * checked in headless Chromium.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import type { Variant } from "../../src/types/index.js";
import { runLitmus } from "../cli/run-litmus.js";
import { makeTempDir } from "../helpers/data-fixtures.js";
import { CHROMIUM, CHROMIUM_ARGS, HAVE_CHROMIUM } from "../report/helpers.js";

const K = 20;

interface Sample {
  problem_id: string;
  variant_id: string | null;
  probe: string;
  sample_index: number | null;
  correct: boolean;
  expected: string;
  original_answer: string;
}

interface Distribution {
  probe: string;
  kind: string;
  problems: number;
  full: number;
  short: number;
  sets: Array<{ instance: number; problems: number; correct: number; accuracy: number }>;
  mean: number | null;
  original: { problems: number; correct: number; accuracy: number };
  short_problems: {
    problems: number;
    instances: number;
    correct: number;
    accuracy: number | null;
    original: { problems: number; correct: number; accuracy: number };
  };
}

describe(`litmus audit --instances ${K} on the canary`, { timeout: 10 * 60_000 }, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let code = -1;
  let stdout = "";
  let stderr = "";
  before(async () => {
    ({ dir, cleanup } = await makeTempDir("litmus-instances-audit-"));
    ({ code, stdout, stderr } = await runLitmus([
      "audit",
      "--model",
      "models/canary",
      "--dataset",
      "litmus-mini",
      "--probes",
      "number-swap,digit-expansion,decimal",
      "--instances",
      String(K),
      "--n",
      "0",
      "--limit",
      "24",
      "--quiet",
      "--out",
      join(dir, "run"),
    ]));
  });
  after(() => cleanup());

  it("writes instance sets that the samples and stored variants reproduce", () => {
    assert.ok(code === 0 || code === 1, `exit ${code}: ${stderr}`);
    const summary = JSON.parse(readFileSync(join(dir, "run", "summary.json"), "utf8"));
    const db = new Database(join(dir, "run", "run.sqlite"), { readonly: true });
    const variants = (db.prepare("SELECT record FROM variants").all() as Array<{ record: string }>).map(
      (r) => JSON.parse(r.record) as Variant,
    );
    db.close();
    const samples = readFileSync(join(dir, "run", "samples.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Sample)
      .filter((s) => s.sample_index === null);
    const greedy = new Map(samples.map((s) => [s.variant_id ?? `${s.problem_id}/original`, s]));

    // Instances: numbered 1..n per problem, probe and kind, distinct questions, keys of their own.
    const groups = new Map<string, Variant[]>();
    for (const v of variants) {
      assert.ok(v.instance !== undefined, `${v.id} has an instance number`);
      const key = `${v.probe}|${v.kind}|${v.problemId}`;
      groups.set(key, [...(groups.get(key) ?? []), v]);
      assert.notEqual(v.expected, v.originalAnswer, v.id);
    }
    assert.equal(new Set(variants.map((v) => v.id)).size, variants.length, "variant ids unique");
    for (const [key, list] of groups) {
      assert.ok(list.length <= K, key);
      assert.deepEqual(
        list.map((v) => v.instance).sort((a, b) => (a as number) - (b as number)),
        Array.from({ length: list.length }, (_, i) => i + 1),
        key,
      );
      assert.equal(new Set(list.map((v) => v.question)).size, list.length, `${key}: distinct questions`);
    }

    const dists = summary.instances.distributions as Distribution[];
    assert.equal(summary.instances.requested, K);
    assert.ok(dists.some((d) => d.probe === "digit-expansion") && dists.some((d) => d.probe === "decimal"));
    for (const d of dists) {
      const mine = variants.filter((v) => v.probe === d.probe && v.kind === d.kind);
      const problems = new Set(mine.map((v) => v.problemId));
      assert.equal(d.problems, problems.size);
      // Every set is over the problems with all K instances; the others are apart.
      const full = new Set([...problems].filter((p) => mine.filter((v) => v.problemId === p).length === K));
      const short = [...problems].filter((p) => !full.has(p));
      assert.equal(d.full, full.size);
      assert.equal(d.short, short.length);
      assert.equal(d.sets.length, full.size > 0 ? K : 0, `${d.probe} ${d.kind}: K sets, or none`);
      const rightOf = (vs: readonly Variant[]) => vs.filter((v) => greedy.get(v.id)?.correct === true).length;
      for (const set of d.sets) {
        const members = mine.filter((v) => v.instance === set.instance && full.has(v.problemId));
        assert.deepEqual(
          [set.problems, set.correct],
          [full.size, rightOf(members)],
          `${d.probe} ${d.kind} set ${set.instance}`,
        );
      }
      const originalsRight = (ids: readonly string[]) =>
        ids.filter((p) => greedy.get(`${p}/original`)?.correct === true).length;
      assert.deepEqual([d.original.problems, d.original.correct], [full.size, originalsRight([...full])]);
      const shortInstances = mine.filter((v) => !full.has(v.problemId));
      assert.deepEqual(
        [d.short_problems.problems, d.short_problems.instances, d.short_problems.correct],
        [short.length, shortInstances.length, rightOf(shortInstances)],
      );
      assert.deepEqual(
        [d.short_problems.original.problems, d.short_problems.original.correct],
        [short.length, originalsRight(short)],
      );
    }
    // The canary's finding, instance by instance: it solves the leaked originals it memorised and
    // none of their re-numbered instances.
    const swap = dists.find((d) => d.probe === "number-swap" && d.kind === "one-quantity") as Distribution;
    assert.ok(swap.full > 0 && swap.mean !== null, "number-swap has problems with all K");
    assert.ok(
      swap.original.accuracy - (swap.mean as number) > 0.3,
      `originals ${swap.original.accuracy}, sets ${swap.mean}`,
    );
    assert.match(stdout, new RegExp(`instance sets \\(--instances ${K}, greedy accuracy %\\):`));
    assert.match(
      stdout,
      new RegExp(
        `number-swap one-quantity: over the \\d+ problems with all ${K}: mean [\\d.]+, sd [\\d.]+, range`,
      ),
    );
  });

  it("renders the distribution in the report (Chromium)", {
    skip: !HAVE_CHROMIUM && "no Chromium",
  }, async () => {
    const summary = JSON.parse(readFileSync(join(dir, "run", "summary.json"), "utf8"));
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(`file://${join(dir, "run", "report.html")}`, { waitUntil: "load" });
      const figures = await page.$$eval("#instances figure", (els) =>
        els.map((f) => {
          const box = f.querySelector("svg")?.getBoundingClientRect() ?? { width: 0, height: 0 };
          return {
            bars: f.querySelectorAll("rect.bar").length,
            width: box.width,
            height: box.height,
            setRows: f.querySelectorAll("table.inst-sets tbody tr").length,
            binTotal: [...f.querySelectorAll("table.inst-bins tbody tr td:last-child")].reduce(
              (a, td) => a + Number(td.textContent),
              0,
            ),
          };
        }),
      );
      // A kind no problem of which has all K instances has no sets and no histogram.
      const dists = (summary.instances.distributions as Distribution[]).filter((d) => d.sets.length > 0);
      assert.equal(figures.length, dists.length);
      for (const [i, f] of figures.entries()) {
        const sets = dists[i]?.sets.length ?? -1;
        assert.ok(f.bars >= 1 && f.width > 100 && f.height > 30, JSON.stringify(f));
        assert.equal(f.setRows, sets, "one table row per instance set");
        assert.equal(f.binTotal, sets, "the histogram's table counts every set once");
      }
    } finally {
      await browser.close();
    }
  });
});
