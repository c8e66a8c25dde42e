/**
 * `npm run bench -- report [PROBLEMS]`: the HTML report of a full-size synthetic run (GSM8K test:
 * 1,319 problems x up to 5 variants x (1 greedy + 10 samples)), built in memory.
 * Figures: report build time (target < 15 s), file size (target < 20 MB), and time to interactive
 * in headless Chromium (target < 3 s; skipped when /usr/bin/chromium is absent).
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { summaryJson } from "../src/audit/exports.js";
import { readStoredRun } from "../src/audit/records.js";
import { loadProblems } from "../src/data/problems.js";
import { buildModel, renderHtml, runCharts, VERDICTS, writeReport } from "../src/report/index.js";
import { renderPng } from "../src/report/png.js";
import { buildSyntheticRun, problemsFrom } from "../src/report/synthetic.js";
import { MemoryRunStore, SqliteRunStore } from "../src/store/index.js";

const CHROMIUM = "/usr/bin/chromium";
const GSM8K = new URL("../../../shared/gsm8k/test.jsonl", import.meta.url);
/** The committed example report is built from litmus's own problems: GSM8K text is never committed. */
const LITMUS_MINI = new URL("../../data/litmus-mini/litmus-mini.jsonl", import.meta.url);

async function problems(count: number) {
  if (existsSync(GSM8K)) return (await loadProblems(GSM8K.pathname, "gsm8k-test")).slice(0, count);
  // No data set here: synthetic GSM8K-style problems.
  return problemsFrom(
    Array.from({ length: count }, (_, i) => ({
      question: `Sam has ${i + 3} apples and buys ${i + 5} more. Each apple costs $2. How much did Sam's apples cost in dollars?`,
      answer: `Sam has ${i + 3} + ${i + 5} = <<${i + 3}+${i + 5}=${2 * i + 8}>>${2 * i + 8} apples.\nThey cost ${2 * i + 8} * 2 = $<<${2 * i + 8}*2=${4 * i + 16}>>${4 * i + 16}.\n#### ${4 * i + 16}`,
    })),
    "synthetic",
  );
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  if (args[0] === "example") return example(args[1] ?? "reports/example", Number(args[2] ?? 60));
  if (args[0] === "screenshot") return screenshotReport(args[1] ?? "reports/example/report.html");
  const count = Number(args[0] ?? 1319);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const t0 = performance.now();
  const store = new MemoryRunStore();
  const synthetic = await buildSyntheticRun(store, {
    problems: await problems(count),
    n: 10,
    maxVariants: 5,
    fillVariants: true,
    resamples: 200,
    detectors: true,
  });
  const genS = (performance.now() - t0) / 1000;
  const completions = synthetic.run.rows.length;
  log(
    `synthetic run: ${count} problems, ${synthetic.summary.counts.variants} variants, ${completions} completions (${genS.toFixed(1)} s)`,
  );

  // Build time: what `litmus report` does: read the store's rows, build the model, charts, HTML, gzip.
  const t1 = performance.now();
  const stored = readStoredRun(store, synthetic.summary.manifest.config.probes);
  const model = buildModel(synthetic.summary, stored, { title: "synthetic full-size run" });
  const html = renderHtml(model, { compress: "auto" });
  const buildS = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  for (const spec of runCharts(model, VERDICTS)) await renderPng(spec);
  const pngS = (performance.now() - t2) / 1000;
  const bytes = Buffer.byteLength(html);
  const rawBytes = Buffer.byteLength(renderHtml(model, { compress: false }));
  log(`report: ${(bytes / 1e6).toFixed(2)} MB in ${buildS.toFixed(2)} s; PNG charts ${pngS.toFixed(2)} s`);

  let interactive: Record<string, number> | null = null;
  if (existsSync(CHROMIUM)) {
    const dir = await mkdtemp(join(tmpdir(), "litmus-report-bench-"));
    try {
      const file = join(dir, "report.html");
      await writeFile(file, html);
      interactive = await measureInteractive(html);
      log(`interactive in ${interactive["interactive_ms"]?.toFixed(0)} ms (best of ${interactive["runs"]})`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  } else log(`${CHROMIUM} absent: time to interactive not measured`);
  return {
    problems: count,
    variants: synthetic.summary.counts.variants,
    completions,
    build_s: Number(buildS.toFixed(3)),
    build_target_s: 15,
    png_charts_s: Number(pngS.toFixed(3)),
    file_mb: Number((bytes / 1e6).toFixed(2)),
    file_target_mb: 20,
    file_uncompressed_mb: Number((rawBytes / 1e6).toFixed(2)),
    ...(interactive ?? { interactive_ms: null }),
    interactive_target_ms: 3000,
  };
}

/**
 * `npm run bench -- report example DIR [PROBLEMS]`: the example report (a synthetic run of the
 * first PROBLEMS litmus-mini problems with simulated completions and detector scores) written to
 * DIR as report.html, charts/*.png, report.md, plus screenshot.png when Chromium is here.
 */
async function example(dir: string, count: number): Promise<Record<string, unknown>> {
  const runDir = await mkdtemp(join(tmpdir(), "litmus-example-"));
  try {
    const store = SqliteRunStore.openDir(runDir);
    try {
      const { summary } = await buildSyntheticRun(store, {
        problems: (await loadProblems(LITMUS_MINI.pathname, "litmus-mini")).slice(0, count),
        n: 10,
        maxVariants: 5,
        resamples: 2000,
        detectors: true,
      });
      await writeFile(join(runDir, "summary.json"), summaryJson(summary));
    } finally {
      store.close();
    }
    const result = await writeReport(runDir, {
      out: join(dir, "report.html"),
      modelPath: "(synthetic: simulated completions, no model)",
    });
    if (existsSync(CHROMIUM)) await screenshotReport(result.html, true);
    return { html: result.html, bytes: result.bytes, pngs: result.pngs.length, problems: result.problems };
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
}

/**
 * `npm run bench -- report screenshot FILE.html`: screenshot.png (the first 1280 x 1600 px) beside
 * the report, and with `drilldown`, screenshot-drilldown.png (the first problem opened).
 */
async function screenshotReport(htmlPath: string, drilldown = false): Promise<Record<string, unknown>> {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  const dir = dirname(htmlPath);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    await page.goto(pathToFileURL(htmlPath).href);
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: { documentElement: { dataset: Record<string, string> } } })
          .document.documentElement.dataset["ready"] === "1",
    );
    await page.screenshot({ path: join(dir, "screenshot.png") });
    if (drilldown) {
      await page.locator("#drill-body tr.problem").first().click();
      await page.locator("#drill-body tr.detail").scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(dir, "screenshot-drilldown.png") });
    }
  } finally {
    await browser.close();
  }
  return { screenshot: join(dir, "screenshot.png") };
}

/** Loads the page from a routed URL (every other request is refused) and waits for it to be ready. */
async function measureInteractive(html: string): Promise<Record<string, number>> {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    const times: number[] = [];
    const loads: number[] = [];
    let requests = 0;
    for (let i = 0; i < 3; i++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.route("**/*", async (route) => {
        if (route.request().url() === "http://litmus.test/report.html")
          await route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html });
        else {
          requests++;
          await route.abort();
        }
      });
      const start = Date.now();
      await page.goto("http://litmus.test/report.html", { waitUntil: "domcontentloaded", timeout: 60_000 });
      await page.waitForFunction(
        () =>
          (globalThis as unknown as { document: { documentElement: { dataset: Record<string, string> } } })
            .document.documentElement.dataset["ready"] === "1",
        null,
        { timeout: 60_000, polling: 20 },
      );
      loads.push(Date.now() - start);
      times.push(Number(await page.evaluate("window.litmusReport.interactiveMs")));
      await page.close();
    }
    return {
      interactive_ms: Math.round(Math.min(...times)),
      interactive_first_ms: Math.round(times[0]!),
      goto_to_ready_ms: Math.round(Math.min(...loads)),
      runs: times.length,
      extra_requests: requests,
    };
  } finally {
    await browser.close();
  }
}
