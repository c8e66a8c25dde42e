/**
 * The self-contained HTML report: header, headline, per-probe table and comparison tables are
 * rendered here (every data string escaped); the charts and the drill-down are drawn in the page
 * by chart.js (inlined) and the page script (src/report/client.js, inlined), from JSON embedded
 * so that no string inside it can end its `<script>` element. A Content-Security-Policy allows
 * only the page's own inline scripts (by hash) and no network request of any kind.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { chartDataTable } from "./chart-table.js";
import { type ChartSpec, compareBarChart, drawErrorBars, ERROR_BARS_PLUGIN_ID, runCharts } from "./charts.js";
import type { Comparison } from "./compare.js";
import { duration, escapeHtml as e, pct, pctCi, pValue, score, scriptSafeJson } from "./format.js";
import { headline, probePhrase } from "./headline.js";
import { instancesHtml } from "./instances.js";
import { type ProbeRow, type ReportModel, VERDICTS } from "./model.js";
import { REPORT_CSS } from "./style.js";

export interface HtmlOptions {
  /** A comparison with a baseline run (`--baseline`). */
  comparison?: Comparison | null;
  /** Embed the drill-down data gzip-compressed (base64): `auto` when its JSON exceeds 4 MB. */
  compress?: boolean | "auto";
  /** Add the Content-Security-Policy (default true; tests turn it off to check escaping alone). */
  csp?: boolean;
  /** Timestamp shown as "report built"; defaults to now. */
  builtAt?: string;
}

export const COMPRESS_ABOVE_BYTES = 4 * 1024 * 1024;

let chartJsSource: string | null = null;
/** chart.js's UMD bundle, read once from node_modules. */
export function chartJs(): string {
  if (chartJsSource === null) {
    const require = createRequire(import.meta.url);
    const main = require.resolve("chart.js");
    chartJsSource = readFileSync(join(dirname(main), "chart.umd.js"), "utf8");
  }
  return chartJsSource;
}

let clientSource: string | null = null;
/** The page script: src/report/client.js (next to this file's source, or next to the build). */
export function clientJs(): string {
  if (clientSource === null) {
    const here = dirname(fileURLToPath(import.meta.url));
    const candidates = [join(here, "../../../src/report/client.js"), join(here, "client.js")];
    let found: string | null = null;
    for (const c of candidates) {
      try {
        const text = readFileSync(c, "utf8");
        if (text.includes("litmus-report-client")) {
          found = text;
          break;
        }
      } catch {
        // next candidate
      }
    }
    if (found === null) throw new Error(`report page script not found (looked in ${candidates.join(", ")})`);
    clientSource = found;
  }
  return clientSource;
}

/** Inline script text cannot contain `</script` (case-insensitive); escape it where it could. */
function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("base64");
}

const fmtInt = (n: number) => n.toLocaleString("en-US");

/**
 * A wide table's own horizontal scroller, so that the page itself never scrolls sideways; it is a
 * labelled, focusable region so that keyboard users can scroll it too.
 */
function scrollBox(label: string, table: string): string {
  return `<div class="scroll" role="region" tabindex="0" aria-label="${e(label)}">${table}</div>`;
}

/** The run's metadata, collapsed beneath the verdict: the verdict is what a reader comes for. */
function runMetaHtml(model: ReportModel, builtAt: string): string {
  const h = model.header;
  const d = h.decoding;
  const rows: Array<[string, string]> = [
    [
      "model",
      h.modelPath === null ? "<i>path not recorded in the run</i>" : `<code>${e(h.modelPath)}</code>`,
    ],
    [
      "model files",
      h.modelFiles.length === 0
        ? "–"
        : `<details><summary>${h.modelFiles.length} files (sha256)</summary><table class="files">${h.modelFiles
            .map(
              ([f, s]) => `<tr><td><code>${e(f)}</code></td><td><code class="hash">${e(s)}</code></td></tr>`,
            )
            .join("")}</table></details>`,
    ],
    [
      "dataset",
      `<code>${e(h.dataset.name)}</code>, ${fmtInt(h.dataset.problems)} problems, ${fmtInt(h.dataset.variants)} variants; sha256 <code class="hash">${e(h.dataset.sha256)}</code>${h.skippedTooLong > 0 ? `; ${fmtInt(h.skippedTooLong)} more problems left out (a prompt longer than the model's context window, --skip-too-long)` : ""}`,
    ],
    ["probes", h.probes.map((p) => `<code>${e(p)}</code>`).join(", ")],
    ["prompt format", `<code>${e(h.promptFormat)}</code>`],
    [
      "decoding",
      `greedy + n = ${d.n} samples, temperature ${d.temperature}, top-p ${d.topP}${d.topK ? `, top-k ${d.topK}` : ""}, at most ${d.maxNewTokens} new tokens; k = ${h.ks.join(", ")}`,
    ],
    ["seeds", `run ${h.seeds.run}, probes ${h.seeds.probes}, bootstrap ${h.seeds.bootstrap}`],
    ["versions", `litmus ${e(h.litmusVersion)}, onnxruntime ${e(h.onnxruntimeVersion)}`],
    ["execution provider", `${e(h.executionProvider)}${h.decodePath ? `; ${e(h.decodePath)}` : ""}`],
    ["date", `${e(h.startedAt)}${h.finishedAt ? ` – ${e(h.finishedAt)}` : " (not finished)"}`],
    ["run time", duration(h.runSeconds)],
    [
      "completions",
      `${fmtInt(h.completions)} of ${fmtInt(h.expectedCompletions)}${h.complete ? "" : " <b>(incomplete run)</b>"}, ${fmtInt(h.noAnswer)} without an answer; ${e(h.generation)}`,
    ],
    ["report built", e(builtAt)],
  ];
  return `<details class="run-meta" id="run"><summary>Run details: model, data set, probes, decoding, seeds, versions, dates</summary><dl class="meta">${rows.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl></details>`;
}

function headlineHtml(model: ReportModel): string {
  const h = headline(model);
  const det =
    model.detectors.length === 0
      ? `<p class="muted">Contamination detectors (neighbourhood gap, Min-K%++, CDD peakedness): not measured in this run.</p>`
      : `<p class="muted">Contamination detectors measured: ${model.detectors.map((d) => e(d.label)).join(", ")} (see the table and charts below).</p>${unavailableHtml(model)}`;
  const sandbox = model.sandboxNote
    ? `<p class="${model.sandboxNote.warning ? "sandbox-warning" : "muted"}">${e(model.sandboxNote.text)}</p>`
    : "";
  const v = model.verdictCounts;
  const total = VERDICTS.reduce((s, k) => s + (v[k] ?? 0), 0);
  return `<section class="headline ${h.kind}" id="headline">
<h2>${e(h.title)}</h2>
${h.findings.length ? `<ul>${h.findings.map((f) => `<li>${e(f)}</li>`).join("")}</ul>` : ""}
<p>Per problem: ${VERDICTS.map((k) => `<span class="badge v-${k}">${k}</span> ${fmtInt(v[k] ?? 0)} (${pct(total ? (v[k] ?? 0) / total : null, 0)}%)`).join(" · ")} of ${fmtInt(total)} problems.</p>
${det}${sandbox}
<details><summary>How this verdict was reached</summary><ul>${h.rules.map((r) => `<li>${e(r)}</li>`).join("")}</ul>
<p>Per-problem verdict thresholds: ${Object.entries(model.thresholds)
    .map(([k, x]) => `<code>${e(k)}</code> = ${e(String(x))}`)
    .join(", ")}.</p></details>
</section>`;
}

/** The ks shown in the table: pass@1, the run's --k list and pass@n. */
export function tableKs(model: ReportModel): number[] {
  const n = model.header.decoding.n;
  return [...new Set([1, ...model.header.ks, n])].filter((k) => k >= 1 && k <= n).sort((a, b) => a - b);
}

function probeTableHtml(model: ReportModel): string {
  const ks = tableKs(model);
  const det = model.detectors.filter((d) => Object.keys(d.byLabel).length > 0);
  const level = Math.round(model.header.level * 100);
  const head = [
    "label",
    "prompts",
    `greedy accuracy % [${level}% CI]`,
    ...ks.map((k) => `pass@${k} %`),
    "drop vs original, points [CI]",
    "McNemar p",
    "stale % [CI]",
    "chance %",
    "lift",
    ...det.map((d) => e(d.label)),
  ];
  const cell = (r: ProbeRow): string[] => [
    `<th scope="row">${e(r.label)}</th>`,
    `<td class="n">${fmtInt(r.units)}</td>`,
    `<td class="n">${pctCi(r.greedy.value, r.greedy.ci)}</td>`,
    ...ks.map((k) => {
      const p = r.passAtK.find((x) => x.k === k);
      return `<td class="n">${p ? pctCi(p.value, p.ci) : "–"}</td>`;
    }),
    `<td class="n">${r.drop ? pctCi(r.drop.value, r.drop.ci) : ""}</td>`,
    `<td class="n">${r.drop ? pValue(r.drop.p) : ""}</td>`,
    `<td class="n">${r.stale ? pctCi(r.stale.value, r.stale.ci) : r.label === "original" ? "" : "<span class=muted>answer kept</span>"}</td>`,
    `<td class="n">${r.stale ? pct(r.stale.baseline) : ""}</td>`,
    `<td class="n">${r.stale?.lift != null ? r.stale.lift.toFixed(1) : ""}</td>`,
    ...det.map((d) => {
      const f = d.byLabel[r.label];
      return `<td class="n">${f ? `${score(f.value)}${f.ci ? ` [${score(f.ci[0])}, ${score(f.ci[1])}]` : ""}` : "–"}</td>`;
    }),
  ];
  const s = model.overallStale;
  const detNote =
    model.detectors.length === 0
      ? "Detector scores: not measured in this run."
      : model.detectors
          .map(
            (d) =>
              `${e(d.label)}${d.description ? ` (${e(d.description)})` : ""}${
                d.figures.length ? `: ${d.figures.map(([k, v]) => `${e(k)} ${score(v)}`).join(", ")}` : ""
              }`,
          )
          .join("; ");
  return `<section id="probes"><h2>Per-probe results</h2>
${scrollBox(
  "Per-probe results table",
  `<table class="probes"><thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join("")}</tr></thead>
<tbody>${model.rows.map((r) => `<tr>${cell(r).join("")}</tr>`).join("\n")}</tbody></table>`,
)}
<p class="muted">All answer-changing probes together: stale answers ${pctCi(s?.value, s?.ci)}%, chance ${pct(s?.baseline)}%, lift ${s?.lift != null ? s.lift.toFixed(1) : "–"}.
Intervals: ${level}% (Wilson for proportions; bootstrap over problems, ${fmtInt(model.header.resamples)} resamples, for pass@k and drops). Drops are percentage points, original minus variant, greedy, paired by problem; p from an exact McNemar test. ${detNote}</p>
</section>`;
}

function chartsHtml(charts: readonly ChartSpec[], model: ReportModel): string {
  const missing =
    model.detectors.length === 0
      ? `<figure class="chart empty"><figcaption><b>Detector score distributions</b></figcaption><p class="muted">Neighbourhood gap, Min-K%++ and CDD peakedness: not measured in this run.</p></figure>`
      : "";
  return `<section id="charts"><h2>Charts</h2><div class="charts">
${charts
  .map(
    (c) =>
      `<figure class="chart"><figcaption><b>${e(c.title)}</b> <span class="muted">${e(c.caption)}</span></figcaption><div class="canvas-box"><canvas id="chart-${e(c.id)}" role="img" aria-label="${e(`${c.title}. ${c.caption} Its numbers are in the Data table below it.`)}"></canvas></div><details class="chart-data"><summary>Data<span class="visually-hidden">: ${e(c.title)}</span></summary>${scrollBox(`${c.title}: data`, chartDataTable(c))}</details></figure>`,
  )
  .join("\n")}
${missing}</div></section>`;
}

function comparisonHtml(c: Comparison, model: ReportModel): string {
  const sig = (p: number | null) => p !== null && p < 0.05;
  const val = (i: { value: number | null; ci: [number, number] | null }) => pctCi(i.value, i.ci);
  const rows = c.figures
    .map((f) => {
      const cls = f.diff === null || !sig(f.p) ? "" : f.worse ? "worse" : "better";
      return `<tr class="${cls}"><th scope="row">${e(f.label)}</th><td>${e(f.metric)}</td><td class="n">${val(f.baseline)}</td><td class="n">${val(f.current)}</td><td class="n">${f.diff === null ? "–" : `${f.diff > 0 ? "+" : ""}${(f.diff * 100).toFixed(1)}`}</td><td class="n">${pValue(f.p)}</td><td>${cls === "worse" ? "significantly worse" : cls === "better" ? "significantly better" : "not significant"}</td></tr>`;
    })
    .join("\n");
  const tv = VERDICTS;
  const matrix = `<table class="matrix"><thead><tr><th scope="col">baseline \\ this run</th>${tv.map((v) => `<th scope="col">${v}</th>`).join("")}</tr></thead><tbody>${tv
    .map(
      (from) =>
        `<tr><th scope="row">${from}</th>${tv.map((to) => `<td class="n${from === to ? " same" : ""}">${c.transitions[from]?.[to] ?? 0}</td>`).join("")}</tr>`,
    )
    .join("")}</tbody></table>`;
  return `<section id="comparison"><h2>Comparison with the baseline run</h2>
<p>Baseline: <b>${e(c.baselineTitle)}</b>. This run: <b>${e(model.title)}</b>. Differences are this run minus the baseline, in percentage points; ${c.paired ? "p is from the paired comparison of the two runs, prompt by prompt (exact McNemar on the originals' greedy accuracy, sign-flip tests over problems otherwise; the stale p is of the per-problem stale share), Holm-adjusted over all figures, as the <code>--baseline</code> gates use" : "p is two-sided, from the two runs' intervals (independent samples: a run store is missing, so the runs cannot be paired)"}. Rows in colour are significant at p &lt; 0.05.</p>
<div class="scroll" role="region" tabindex="0" aria-label="Comparison table"><table class="compare"><thead><tr><th scope="col">label</th><th scope="col">figure</th><th scope="col">baseline %</th><th scope="col">this run %</th><th scope="col">difference</th><th scope="col">p</th><th scope="col"></th></tr></thead><tbody>${rows}</tbody></table></div>
<h3>Verdicts per problem (${fmtInt(c.shared)} problems in both runs)</h3>${scrollBox("Verdict transitions table", matrix)}
</section>`;
}

function comparisonCharts(c: Comparison, model: ReportModel): ChartSpec[] {
  const level = Math.round(model.header.level * 100);
  const pick = (metric: string) => c.figures.filter((f) => f.metric === metric && f.label !== "all");
  const out: ChartSpec[] = [];
  for (const [metric, id, title] of [
    ["greedy accuracy", "compare-accuracy", "Greedy accuracy: baseline vs this run"],
    ["stale rate", "compare-stale", "Stale-answer rate: baseline vs this run"],
  ] as const) {
    const f = pick(metric);
    if (f.length === 0) continue;
    out.push(
      compareBarChart(
        id,
        title,
        `${metric} (%) by label, ${level}% intervals.`,
        f.map((x) => x.label),
        [
          { name: "baseline", values: f.map((x) => x.baseline.value), ci: f.map((x) => x.baseline.ci) },
          { name: "this run", values: f.map((x) => x.current.value), ci: f.map((x) => x.current.ci) },
        ],
        `${metric} (%)`,
      ),
    );
  }
  return out;
}

/** The problem table's columns: [sort key (client.js SORTS), header text]; the baseline only when comparing. */
function drillColumns(comparing: boolean): Array<[string, string]> {
  return [
    ["id", "problem"],
    ["verdict", "verdict"],
    ...(comparing ? [["baseline", "baseline"] as [string, string]] : []),
    ["oa", "original acc."],
    ["ss", "stale share"],
    ["variants", "variants"],
    ["question", "question"],
  ];
}

function drillHtml(model: ReportModel, comparing: boolean): string {
  const probes = model.header.probes;
  const head = drillColumns(comparing)
    .map(
      ([key, text]) =>
        `<th scope="col"><button type="button" class="sort" data-sort="${key}">${text}</button></th>`,
    )
    .join("");
  return `<section id="drill"><h2>Problems</h2>
<div class="controls" role="search">
<label>Verdict <select id="f-verdict"><option value="">all</option>${VERDICTS.map((v) => `<option value="${v}">${v}</option>`).join("")}</select></label>
<label>Probe <select id="f-probe"><option value="">all</option>${probes.map((p) => `<option value="${e(p)}">${e(p)}</option>`).join("")}</select></label>
<label>Answers <select id="f-status"><option value="">any</option><option value="stale">some stale</option><option value="wrong">some wrong</option></select></label>
${comparing ? `<label><input type="checkbox" id="f-changed"> verdict changed vs baseline</label>` : ""}
<label class="grow">Search <input type="search" id="f-search" placeholder="problem id, id* for a prefix, or words of a question" autocomplete="off" aria-describedby="search-help"></label>
<span class="exports"><button type="button" id="export-csv">Export CSV</button> <button type="button" id="export-json">Export JSON</button></span>
<span id="f-count" class="muted" aria-live="polite"></span>
</div>
<p id="search-help" class="muted">Search: a problem or variant id finds exactly that problem (<code>gsm8k-test:7</code>, not <code>gsm8k-test:70</code>); an id ending in <code>*</code> finds every id it begins (<code>gsm8k-test:7*</code>); anything else finds questions holding that text (any case). Export saves every row the filters, search and sort select, in that order.</p>
${model.problems.length === 0 ? `<p class="muted">The run store (run.sqlite) was not available, so problems cannot be shown.</p>` : ""}
<div class="scroll"><table class="drill"><thead><tr>${head}</tr></thead>
<tbody id="drill-body"></tbody></table></div>
<div id="drill-more"><button type="button" id="more-btn">Show more</button></div>
<p class="muted">Open a problem (click its row, or its id) to see the original and each variant question with the probe's recorded edits highlighted, the exact prompt the model was given, the expected and original answers, and every completion (greedy and samples) with its extracted number highlighted and the rule that found it, each marked <span class="badge s-1">right</span> <span class="badge s-0">wrong</span> <span class="badge s-2">stale</span> (the original answer given to a changed problem). Opening a problem puts it in the address (<code>#problem=&lt;id&gt;</code>): the link opens it again.</p>
</section>`;
}

/** The whole report page. */
export function renderHtml(model: ReportModel, options: HtmlOptions = {}): string {
  const comparison = options.comparison ?? null;
  const charts = [...runCharts(model, VERDICTS), ...(comparison ? comparisonCharts(comparison, model) : [])];
  const drill = {
    probes: model.header.probes,
    comparing: comparison !== null,
    texts: model.drill.texts,
    rules: model.drill.rules,
    problems: model.problems,
  };
  const json = scriptSafeJson(drill);
  const compress =
    options.compress === "auto" || options.compress === undefined
      ? json.length > COMPRESS_ABOVE_BYTES
      : options.compress;
  const dataScript = compress
    ? `<script type="application/octet-stream" id="litmus-data" data-encoding="gzip-base64">${gzipSync(Buffer.from(json, "utf8"), { level: 6 }).toString("base64")}</script>`
    : `<script type="application/json" id="litmus-data">${json}</script>`;
  const chartsJson = `<script type="application/json" id="litmus-charts">${scriptSafeJson(charts)}</script>`;
  const pluginSource = `const ERROR_BARS_PLUGIN_ID = ${JSON.stringify(ERROR_BARS_PLUGIN_ID)};\n${drawErrorBars.toString()}\n`;
  const scripts = [inlineScript(chartJs()), inlineScript(pluginSource + clientJs())];
  const csp =
    options.csp === false
      ? ""
      : `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src ${scripts.map((s) => `'sha256-${sha256(s)}'`).join(" ")}; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">`;
  const title = e(model.title);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
${csp}
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header><h1>${title}</h1>${comparison ? `<p class="muted">Comparison report: this run against the baseline <b>${e(comparison.baselineTitle)}</b>.</p>` : ""}</header>
<main>
${headlineHtml(model)}
${runMetaHtml(model, options.builtAt ?? new Date().toISOString())}
${probeTableHtml(model)}
${instancesHtml(model.summary)}
${comparison ? comparisonHtml(comparison, model) : ""}
${chartsHtml(charts, model)}
${drillHtml(model, comparison !== null)}
</main>
<footer class="muted">Generated by litmus ${e(model.header.litmusVersion)}. Works offline: everything this page needs is inside this file. Probes: ${model.header.probes.map((p) => e(`${p}: ${probePhrase(p)}`)).join("; ")}.</footer>
${chartsJson}
${dataScript}
<script>${scripts[0]}</script>
<script>${scripts[1]}</script>
</body>
</html>
`;
}

/** Detectors the backend could not compute, each with its reason. */
function unavailableHtml(model: ReportModel): string {
  if (model.detectorsUnavailable.length === 0) return "";
  return `<p class="muted unavailable">Not available with this backend: ${model.detectorsUnavailable
    .map(([label, why]) => `${e(label)} (${e(why)})`)
    .join("; ")}.</p>`;
}
