/** report.md (and the section the audit appends to summary.md): headline, per-probe table, PNG charts. */
import type { ChartSpec } from "./charts.js";
import { pct, pctCi, pValue, score } from "./format.js";
import { headline } from "./headline.js";
import { tableKs } from "./html.js";
import { instancesMarkdown } from "./instances.js";
import { markdownText } from "./markdown-text.js";
import { type ReportModel, VERDICTS } from "./model.js";

const md = markdownText;

/**
 * The Markdown report. `pngDir` is the charts' folder relative to the Markdown file (e.g.
 * `charts`); `charts` and `pngs` are the charts and the file names written for them.
 */
export function reportMarkdown(
  model: ReportModel,
  charts: ReadonlyArray<ChartSpec>,
  pngs: readonly string[],
  pngDir = "charts",
): string {
  const out = [
    `## ${md(model.title)}`,
    "",
    ...findingsAndTable(model),
    ...instancesMarkdown(model.summary, md),
  ];
  charts.forEach((c, i) => {
    const file = pngs[i];
    if (file) out.push(`![${md(c.title)}](${pngDir}/${file})`, "");
  });
  return `${out.join("\n").trimEnd()}\n`;
}

/**
 * The same report for a GitHub job summary (summary.md), which shows no image from the run
 * folder: the charts become Unicode bars in a code block. Without the title (the caller puts the
 * gates under its own title).
 */
export function jobSummaryMarkdown(model: ReportModel): string {
  const out = findingsAndTable(model);
  const bar = (v: number | null) =>
    v === null ? "n/a" : `${"█".repeat(Math.round(v * 30)).padEnd(30, "░")} ${(v * 100).toFixed(1)}%`;
  const width = Math.max(...model.rows.map((r) => r.label.length));
  out.push("Greedy accuracy by label:", "", "```text");
  for (const r of model.rows) out.push(`${r.label.padEnd(width)}  ${bar(r.greedy.value)}`);
  out.push("```", "");
  const stale = model.rows.filter((r) => r.stale);
  if (stale.length > 0) {
    out.push("Stale original answers (answer-changing probes):", "", "```text");
    for (const r of stale) out.push(`${r.label.padEnd(width)}  ${bar(r.stale?.value ?? null)}`);
    out.push("```", "");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/** The headline of a report: its one-sentence verdict. */
export function verdictHeadline(model: ReportModel): string {
  return headline(model).title;
}

function findingsAndTable(model: ReportModel): string[] {
  const h = headline(model);
  const out: string[] = [];
  out.push(`**${md(h.title)}**`, "");
  for (const f of h.findings) out.push(`- ${md(f)}`);
  if (h.findings.length) out.push("");
  const v = model.verdictCounts;
  out.push(`Per problem: ${VERDICTS.map((k) => `${k} ${v[k] ?? 0}`).join(", ")}.`);
  const run = model.header;
  out.push(
    `Completions: ${run.completions} of ${run.expectedCompletions}, ${run.noAnswer} without an answer; ${md(run.generation)}${run.decodePath ? `; ${md(run.decodePath)}` : ""}.`,
  );
  if (model.header.skippedTooLong > 0)
    out.push(
      `Left out: ${model.header.skippedTooLong} problems whose prompt is longer than the model's context window (--skip-too-long).`,
    );
  out.push(
    model.detectors.length === 0
      ? "Contamination detectors: not measured in this run."
      : `Contamination detectors: ${model.detectors.map((d) => md(d.label)).join(", ")}.`,
  );
  if (model.detectorsUnavailable.length > 0)
    out.push(
      `Not available with this backend: ${model.detectorsUnavailable.map(([l, why]) => `${md(l)} (${md(why)})`).join("; ")}.`,
    );
  if (model.sandboxNote)
    out.push(`${model.sandboxNote.warning ? "**Warning:** " : ""}${md(model.sandboxNote.text)}`);
  out.push("");
  const ks = tableKs(model);
  const det = model.detectors.filter((d) => Object.keys(d.byLabel).length > 0);
  const head = [
    "label",
    "prompts",
    "greedy % [CI]",
    ...ks.map((k) => `pass@${k} %`),
    "drop pts [CI]",
    "McNemar p",
    "stale % [CI]",
    "chance %",
    ...det.map((d) => md(d.label)),
  ];
  out.push(`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`);
  for (const r of model.rows) {
    const cells = [
      md(r.label),
      String(r.units),
      pctCi(r.greedy.value, r.greedy.ci),
      ...ks.map((k) => {
        const p = r.passAtK.find((x) => x.k === k);
        return p ? pctCi(p.value, p.ci) : "–";
      }),
      r.drop ? pctCi(r.drop.value, r.drop.ci) : "",
      r.drop ? pValue(r.drop.p) : "",
      r.stale ? pctCi(r.stale.value, r.stale.ci) : "",
      r.stale ? pct(r.stale.baseline) : "",
      ...det.map((d) => score(d.byLabel[r.label]?.value)),
    ];
    out.push(`| ${cells.join(" | ")} |`);
  }
  out.push("");
  out.push(`<details><summary>How the verdict was reached</summary>`, "");
  for (const r of h.rules) out.push(`- ${md(r)}`);
  out.push("", "</details>", "");
  return out;
}
