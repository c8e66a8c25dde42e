import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AuditSummary } from "../../src/audit/summary.js";
import { histogram, instancesHtml, instancesMarkdown, instanceViews } from "../../src/report/instances.js";

/** A summary with only the `instances` part, as summary.json writes it (snake_case). */
function summaryWith(probe: string, accuracies: number[]): AuditSummary {
  return {
    instances: {
      requested: accuracies.length,
      distributions: [
        {
          probe,
          kind: "one-quantity",
          requested: accuracies.length,
          problems: 12,
          full: 10,
          short: 2,
          sets: accuracies.map((accuracy, i) => ({
            instance: i + 1,
            problems: 10,
            correct: accuracy * 10,
            accuracy,
          })),
          mean: accuracies.reduce((a, b) => a + b, 0) / accuracies.length,
          sd: 0.05,
          min: Math.min(...accuracies),
          max: Math.max(...accuracies),
          original: { problems: 10, correct: 8, accuracy: 0.8 },
          short_problems: {
            problems: 2,
            instances: 5,
            correct: 2,
            accuracy: 0.4,
            original: { problems: 2, correct: 1, accuracy: 0.5 },
          },
        },
      ],
      problems: [
        { problem_id: "a", probe, kind: "one-quantity", instances: 3, correct: 0, accuracy: 0 },
        { problem_id: "b", probe, kind: "one-quantity", instances: 3, correct: 3, accuracy: 1 },
        { problem_id: "c", probe, kind: "one-quantity", instances: 3, correct: 2, accuracy: 2 / 3 },
      ],
    },
  } as unknown as AuditSummary;
}

describe("report: instance sets", () => {
  it("bins accuracies about ten to a spread, on multiples of the width", () => {
    // 50, 52 and 61 points: a spread of 11 takes 2-point bars from 50 to 62.
    const bins = histogram([0.5, 0.52, 0.61]);
    assert.deepEqual(
      bins.map((b) => [b.from, b.to, b.count]),
      [
        [50, 52, 1],
        [52, 54, 1],
        [54, 56, 0],
        [56, 58, 0],
        [58, 60, 0],
        [60, 62, 1],
      ],
    );
    assert.deepEqual(
      histogram([0.7, 0.7]).map((b) => b.count),
      [2],
    );
  });

  it("draws the histogram with its numbers in tables, and escapes names", () => {
    const html = instancesHtml(summaryWith("<img src=x onerror=alert(1)>", [0.5, 0.6, 0.7]));
    assert.match(html, /<section id="instances">/);
    assert.match(html, /<svg class="inst-hist"[^>]*role="img"[^>]*aria-labelledby="inst-0-cap"/);
    assert.doesNotMatch(html, /<img/);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
    // One row per instance set, with its accuracy; the per-problem counts 0% / between / 100%.
    const setRows = [
      ...html.matchAll(
        /<tr><td class="n">(\d+)<\/td><td class="n">10<\/td><td class="n">\d+<\/td><td class="n">([\d.]+)<\/td><\/tr>/g,
      ),
    ];
    assert.deepEqual(
      setRows.map((m) => [m[1], m[2]]),
      [
        ["1", "50.0"],
        ["2", "60.0"],
        ["3", "70.0"],
      ],
    );
    assert.match(
      html,
      /<tbody><tr><td class="n">1<\/td><td class="n">0<\/td><td class="n">1<\/td><td class="n">1<\/td><\/tr><\/tbody>/,
    );
    assert.match(html, /Mean 60\.0%/);
    assert.match(html, /originals of the same problems 80\.0%/);
    // The sets are over the problems with all K; the short ones are reported apart.
    assert.match(
      html,
      /Every set holds the 10 problems with all 3 instances; 2 with fewer are left out of the sets: 40\.0% of their instances right, their originals 50\.0%\./,
    );
    const md = instancesMarkdown(summaryWith("p|x", [0.5, 0.7]), (s) => s.replace(/\|/g, "\\|")).join("\n");
    assert.match(md, /\| p\\\|x \| one-quantity \| 2 \| 60\.0 \|/);
    assert.match(md, /\| 80\.0 \| 10 \| 2, 40\.0, 50\.0 \|$/m);
  });

  it("is empty for a run without instances", () => {
    const none = {} as AuditSummary;
    assert.equal(instancesHtml(none), "");
    assert.deepEqual(instanceViews(none), []);
  });

  it("names the kinds no problem had all K instances of, in the page and in report.md", () => {
    const summary = summaryWith("number-swap", [0.5, 0.6]);
    const inst = (summary as unknown as { instances: { distributions: unknown[] } }).instances;
    inst.distributions.push({
      probe: "decimal<b>",
      kind: "one-quantity",
      requested: 2,
      problems: 3,
      full: 0,
      short: 3,
      sets: [],
      mean: null,
      sd: null,
      min: null,
      max: null,
      original: { problems: 0, correct: 0, accuracy: null },
      short_problems: {
        problems: 3,
        instances: 4,
        correct: 1,
        accuracy: 0.25,
        original: { problems: 3, correct: 2, accuracy: 2 / 3 },
      },
    });
    const html = instancesHtml(summary);
    // One histogram (number-swap); decimal named with its 3 short problems and 1 of 4 right.
    assert.equal(html.match(/<svg class="inst-hist"/g)?.length, 1);
    assert.match(
      html,
      /No problem allowed all 2 instances of: decimal&lt;b&gt; one-quantity: 3 problems, each with fewer, 25\.0% of their instances right\./,
    );
    const md = instancesMarkdown(summary, (t) => t.replace(/</g, "&lt;").replace(/>/g, "&gt;")).join("\n");
    assert.match(md, /\| decimal&lt;b&gt; \| one-quantity \| 0 \| - \| - \| - \| - \| 0 \| 3, 25\.0, - \|/);
    // A run whose every kind is short still gets the section.
    inst.distributions.shift();
    assert.match(instancesHtml(summary), /<section id="instances">/);
    assert.equal(instanceViews(summary).length, 0);
  });
});
