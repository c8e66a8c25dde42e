import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { staleChart, verdictChart } from "../../src/report/charts.js";
import { VERDICTS } from "../../src/report/index.js";
import type { ProbeRow } from "../../src/report/model.js";

/** A probe row with only what the stale chart reads. */
function row(label: string, value: number, ci: [number, number], baseline: number): ProbeRow {
  const interval = { value, ci };
  return {
    label,
    problems: 10,
    units: 10,
    greedy: { ...interval, successes: 1, total: 10 },
    passAtK: [],
    drop: null,
    stale: { ...interval, successes: 1, total: 10, baseline, lift: null },
  } as ProbeRow;
}

const yMax = (spec: ReturnType<typeof staleChart>): number =>
  (spec.config as unknown as { options: { scales: { y: { max: number } } } }).options.scales.y.max;

describe("chart axes and captions", () => {
  test("the stale chart's axis reaches past every interval, not just the bars", () => {
    // The report's own case: bars under 40, an interval up to 44.3.
    const spec = staleChart(
      [row("number-swap", 0.353, [0.323, 0.383], 0.005), row("price-edit", 0.388, [0.322, 0.443], 0.006)],
      0.95,
    );
    assert.ok(yMax(spec) >= 44.3, `axis top ${yMax(spec)}`);
    assert.ok(yMax(spec) <= 50, "and not far past it");
    assert.equal(yMax(staleChart([row("x", 0.99, [0.97, 1], 0.5)], 0.95)), 100, "never past 100");
  });

  test("the verdict chart's caption names every verdict it draws", () => {
    const spec = verdictChart({}, VERDICTS);
    const labels = (spec.config as unknown as { data: { labels: string[] } }).data.labels;
    assert.equal(labels.length, VERDICTS.length);
    for (const v of labels) assert.ok(spec.caption.includes(v), `caption names ${v}`);
  });
});
