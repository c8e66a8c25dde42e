import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCli } from "../../src/cli/run.js";
import { compareModels, differenceTest } from "../../src/report/compare.js";
import { readDetectors } from "../../src/report/detectors.js";
import { escapeHtml, scriptSafeJson } from "../../src/report/format.js";
import { headline } from "../../src/report/headline.js";
import { buildModel, loadRun, renderHtml, runCharts, VERDICTS } from "../../src/report/index.js";
import { renderPng } from "../../src/report/png.js";
import { HOSTILE, makeRunDir } from "./helpers.js";

describe("report building", () => {
  let dir = "";
  let hostile = "";
  before(async () => {
    dir = await makeRunDir(12, { detectors: false });
    hostile = await makeRunDir(9, { hostile: true });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(hostile, { recursive: true, force: true });
  });

  test("scriptSafeJson escapes everything that could end a script element, and round-trips", () => {
    const value = { s: HOSTILE.join(" "), k: ["a&b", "<!--", "\u2028\u2029"] };
    const json = scriptSafeJson(value);
    assert.doesNotMatch(json, /[<>&\u2028\u2029]/);
    assert.deepEqual(JSON.parse(json), value);
    assert.equal(escapeHtml(`<a href="x">'&`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;");
  });

  test("a hostile run's HTML holds no raw markup from the data", () => {
    const run = loadRun(hostile);
    const model = buildModel(run.summary, run.run);
    const html = renderHtml(model, { compress: false, builtAt: "t" });
    const scripts = html.match(/<script\b/gi) ?? [];
    assert.equal(scripts.length, 4, "two JSON data scripts, chart.js and the page script");
    assert.equal((html.match(/<\/script>/gi) ?? []).length, 4);
    for (const h of HOSTILE.filter((x) => x.includes("<")))
      assert.equal(html.includes(h), false, `raw hostile text in the page: ${h}`);
    const outsideCode = html.slice(0, html.indexOf("<script>"));
    assert.doesNotMatch(outsideCode, /<img|<svg|<iframe/i);
    assert.doesNotMatch(html, /[\u2028\u2029]/);
    // compressed form too
    const packed = renderHtml(model, { compress: true, builtAt: "t" });
    assert.match(packed, /data-encoding="gzip-base64"/);
    assert.doesNotMatch(packed.slice(0, packed.indexOf("<script>")), /<img|<svg|<iframe/i);
  });

  test("the page is self-contained: no external URL, CSP forbids the network", () => {
    const run = loadRun(dir);
    const html = renderHtml(buildModel(run.summary, run.run));
    assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i);
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; script-src 'sha256-/);
    assert.match(html, /Chart\.js v4/);
    assert.match(html, /not measured in this run/);
  });

  test("headline: memorization when a stale rate clears its thresholds", () => {
    const run = loadRun(dir);
    const model = buildModel(run.summary, run.run);
    const h = headline(model);
    assert.ok(["memorization", "fragile", "clean", "inconclusive"].includes(h.kind));
    assert.equal(h.rules.length, 4);
    const forced = structuredClone(model);
    const row = forced.rows.find((r) => r.stale)!;
    row.stale = { value: 0.34, ci: [0.29, 0.39], successes: 34, total: 100, baseline: 0.02, lift: 17 };
    forced.rows[0]!.greedy = { value: 0.8, ci: [0.7, 0.9], successes: 8, total: 10 };
    const m = headline(forced);
    assert.equal(m.kind, "memorization");
    assert.ok(m.findings.some((f) => f.includes(`stale original answers in 34% [29, 39] of ${row.label}`)));
  });

  test("detectors: shown when the summary has them, 'not measured' otherwise", async () => {
    const run = loadRun(dir);
    assert.deepEqual(readDetectors(run.summary), []);
    const withDet = await makeRunDir(8, { detectors: true });
    try {
      const r = loadRun(withDet);
      const det = readDetectors(r.summary);
      assert.deepEqual(
        det.map((d) => d.label),
        ["Neighbourhood gap", "Min-K%++", "CDD peakedness"],
      );
      const model = buildModel(r.summary, r.run);
      const charts = runCharts(model, VERDICTS).map((c) => c.id);
      assert.ok(charts.includes("detector-neighbourhood_gap"));
      const html = renderHtml(model);
      assert.doesNotMatch(html, /not measured in this run/);
    } finally {
      await rm(withDet, { recursive: true, force: true });
    }
  });

  test("detectors: src/detectors' report shape (snake_case) is read", () => {
    const run = loadRun(dir);
    const summary = structuredClone(run.summary) as unknown as Record<string, unknown>;
    const mean = (m: number) => ({ mean: m, ci: [m - 0.1, m + 0.1], n: 3 });
    summary["detectors"] = {
      settings: { min_k: 0.2 },
      likelihood: {
        original: { min_k: mean(-2), min_k_plus_plus: mean(0.5), zlib_ratio: mean(1), per_token: mean(-1) },
      },
      gap: { all: { ...mean(0.3), sign_test: { p_value: 0.01 } } },
      cdd: { by_label: { original: { flagged: { value: 0.2 }, peakedness: mean(0.4) } } },
      exchangeability: { p_value: 0.5 },
      problems: [
        {
          gap: 0.3,
          original: { min_k_plus_plus: 0.5 },
          neighbours: [{ min_k_plus_plus: 0.1 }],
          cdd_original: { peakedness: 0.5 },
          cdd_variant_mean: 0.1,
        },
      ],
    };
    const det = readDetectors(summary as never);
    assert.deepEqual(
      det.map((d) => d.label),
      [
        "Neighbourhood gap",
        "Min-K%++",
        "Min-K% Prob",
        "zlib ratio",
        "CDD peakedness",
        "Exchangeability test",
      ],
    );
    assert.equal(det[1]!.byLabel["original"]!.value, 0.5);
    assert.deepEqual(det[1]!.distributions, { original: [0.5], variants: [0.1] });
  });

  test("PNG charts come from the same definitions and are not blank", async () => {
    const run = loadRun(dir);
    const charts = runCharts(buildModel(run.summary, run.run), VERDICTS);
    assert.deepEqual(
      charts.map((c) => c.id),
      ["accuracy", "pass-at-k", "stale", "verdicts"],
    );
    const png = await renderPng(charts[0]!);
    assert.equal(png.subarray(1, 4).toString(), "PNG");
    assert.ok(png.length > 5000, `png of ${png.length} bytes`);
  });

  test("litmus report writes report.html, charts/*.png and report.md", async () => {
    const code = await runCli(["report", dir, "--model", "models/<phi>"]);
    assert.equal(code, 0);
    const html = readFileSync(join(dir, "report.html"), "utf8");
    assert.match(html, /models\/&lt;phi&gt;/);
    for (const f of ["accuracy", "pass-at-k", "stale", "verdicts"])
      assert.ok(existsSync(join(dir, "charts", `${f}.png`)));
    const md = readFileSync(join(dir, "report.md"), "utf8");
    assert.match(md, /\| label \| prompts \| greedy % \[CI\] \| pass@1 %/);
    assert.match(md, /!\[Accuracy by probe\]\(charts\/accuracy\.png\)/);
    assert.equal(await runCli(["report", join(dir, "missing")]), 2);
  });

  test("--baseline: a comparison with differences and p-values", async () => {
    const out = join(dir, "compare.html");
    const code = await runCli(["report", dir, "--baseline", hostile, "--out", out, "--no-png"]);
    assert.equal(code, 0);
    const html = readFileSync(out, "utf8");
    assert.match(html, /Comparison with the baseline run/);
    assert.match(html, /baseline \\ this run/);
    // Both runs have their stores: p-values are the paired ones the --baseline gates use.
    assert.match(html, /p is from the paired comparison of the two runs, prompt by prompt/);
    const a = loadRun(dir);
    const b = loadRun(hostile);
    const c = compareModels(buildModel(a.summary, a.run), buildModel(b.summary, null));
    assert.ok(c.figures.length >= 10);
    const t = differenceTest({ value: 0.5, ci: [0.4, 0.6] }, { value: 0.7, ci: [0.6, 0.8] }, 0.95);
    assert.ok(Math.abs(t.diff! - 0.2) < 1e-12);
    assert.ok(t.p! < 0.01 && t.p! > 0.001, `p = ${t.p}`);
  });
});
