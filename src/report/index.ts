/**
 * The audit report: `report.html` (self-contained, offline), PNG charts and `report.md`.
 * `writeReport(runDir)` is what `litmus report` and the end of `litmus audit` call.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { unitOutcomesOf } from "../audit/baseline.js";
import { writeFileAtomic } from "../data/index.js";
import { compareCheckpoints } from "../metrics/checkpoint.js";
import { runCharts } from "./charts.js";
import { type Comparison, compareModels } from "./compare.js";
import { renderHtml } from "./html.js";
import { type LoadedRun, loadRun } from "./load.js";
import { jobSummaryMarkdown, reportMarkdown, verdictHeadline } from "./markdown.js";
import { buildModel, type ReportModel, VERDICTS } from "./model.js";
import { writePngs } from "./png.js";
import { reportPath } from "./report-path.js";

export { type ChartSpec, runCharts } from "./charts.js";
export { type Comparison, compareModels } from "./compare.js";
export { readDetectors } from "./detectors.js";
export { escapeHtml, scriptSafeJson } from "./format.js";
export { HEADLINE_THRESHOLDS, headline } from "./headline.js";
export { type HtmlOptions, renderHtml } from "./html.js";
export { loadRun, parseSummary } from "./load.js";
export { jobSummaryMarkdown, reportMarkdown, verdictHeadline } from "./markdown.js";
export { buildModel, type ReportModel, VERDICTS } from "./model.js";
export { renderPng, writePngs } from "./png.js";

export const REPORT_FILE = "report.html";
export const REPORT_MD_FILE = "report.md";
export const CHARTS_DIR = "charts";

export interface ReportOptions {
  /** Another run folder to compare with (`--baseline`). */
  baseline?: string;
  /** The HTML file to write (default RUN_DIR/report.html). */
  out?: string;
  /** The model's path, when known (the run store does not record it); shown relative to RUN_DIR when absolute. */
  modelPath?: string;
  /** Write PNG charts and report.md next to the HTML (default true). */
  pngs?: boolean;
  compress?: boolean | "auto";
}

export interface ReportResult {
  html: string;
  markdown: string | null;
  /** The report for a GitHub job summary: no images, no title (see jobSummaryMarkdown). */
  jobSummary: string;
  /** The report's title (the model on the data set) and one-sentence verdict. */
  title: string;
  headline: string;
  pngs: string[];
  bytes: number;
  problems: number;
}

/** The model (and comparison) of loaded runs. */
export function modelsOf(
  current: LoadedRun,
  baseline: LoadedRun | null,
  modelPath?: string,
): { model: ReportModel; comparison: Comparison | null } {
  const model = buildModel(current.summary, current.run, { modelPath: modelPath ?? null });
  if (!baseline) return { model, comparison: null };
  const base = buildModel(baseline.summary, null, { title: reportPath(baseline.dir, current.dir) });
  // With both stores, the comparison is paired prompt by prompt, as `--baseline` gates are.
  const c = current.summary.manifest.config;
  const paired =
    current.run && baseline.run
      ? compareCheckpoints(unitOutcomesOf(baseline.run), unitOutcomesOf(current.run), {
          alpha: 0.05,
          resamples: c.summary.resamples,
          seed: c.seeds.bootstrap,
          level: c.summary.level,
          ks: Math.min(c.decoding.n, baseline.summary.manifest.config.decoding.n) >= 1 ? [1] : [],
        })
      : null;
  return { model, comparison: compareModels(model, base, paired) };
}

/** Builds the report of RUN_DIR and writes report.html, charts/*.png and report.md. */
export async function writeReport(runDir: string, options: ReportOptions = {}): Promise<ReportResult> {
  const current = loadRun(runDir);
  const baseline = options.baseline === undefined ? null : loadRun(options.baseline);
  const modelPath = options.modelPath === undefined ? undefined : reportPath(options.modelPath, runDir);
  const { model, comparison } = modelsOf(current, baseline, modelPath);
  const html = renderHtml(model, { comparison, compress: options.compress ?? "auto" });
  const htmlPath = options.out ?? join(runDir, REPORT_FILE);
  await mkdir(dirname(htmlPath), { recursive: true });
  await writeFileAtomic(htmlPath, new TextEncoder().encode(html));
  let markdown: string | null = null;
  let pngs: string[] = [];
  if (options.pngs !== false) {
    const outDir = dirname(htmlPath);
    const charts = runCharts(model, VERDICTS);
    pngs = (await writePngs(join(outDir, CHARTS_DIR), charts)).map((f) => join(outDir, CHARTS_DIR, f));
    markdown = join(outDir, REPORT_MD_FILE);
    await writeFile(
      markdown,
      reportMarkdown(
        model,
        charts,
        pngs.map((p) => relative(join(outDir, CHARTS_DIR), p)),
      ),
    );
  }
  return {
    html: htmlPath,
    markdown,
    jobSummary: jobSummaryMarkdown(model),
    title: model.title,
    headline: verdictHeadline(model),
    pngs,
    bytes: Buffer.byteLength(html),
    problems: model.problems.length,
  };
}
