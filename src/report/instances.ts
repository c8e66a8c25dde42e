/**
 * The report's GSM-Symbolic-style section for a run made with `--instances K`: for each
 * answer-changing probe kind, a histogram of the K instance sets' greedy accuracies with their mean
 * and the originals' accuracy marked, drawn as inline SVG (no script: it stands apart from the
 * page's client code and prints as it is), and the same numbers in tables as its text alternative.
 * Reads summary.json's `instances` only; every name from it is escaped.
 */
import type { AuditSummary } from "../audit/summary.js";
import { escapeHtml as e } from "./format.js";

interface SetAccuracy {
  instance: number;
  problems: number;
  correct: number;
  accuracy: number;
}

export interface InstanceDistributionView {
  probe: string;
  kind: string;
  requested: number;
  problems: number;
  /** Problems with all K instances: the sets and `original` are over these. */
  full: number;
  short: number;
  sets: SetAccuracy[];
  mean: number;
  sd: number | null;
  min: number;
  max: number;
  original: number;
  /** The problems with fewer than K, apart: their instances' pooled accuracy and their originals'. */
  shortAccuracy: number | null;
  shortOriginal: number | null;
  /** Problems by their accuracy over their own instances: 0%, above 0 below 50%, 50% to below 100%, 100%. */
  perProblem: [number, number, number, number];
}

/** One bar of a histogram: accuracies in [from, to) percent (the last bar includes `to`). */
export interface HistogramBin {
  from: number;
  to: number;
  count: number;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" ? (v as Record<string, unknown>) : {};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A probe kind of which no problem had all K instances: no set, only its short problems. */
export interface ShortOnlyView {
  probe: string;
  kind: string;
  short: number;
  shortAccuracy: number | null;
}

/** The probe kinds with no instance set (no problem allowed all K), which the histograms leave out. */
export function shortOnlyViews(summary: AuditSummary): ShortOnlyView[] {
  return arr(obj(summary.instances)["distributions"]).flatMap((raw) => {
    const d = obj(raw);
    if (arr(d["sets"]).length > 0) return [];
    const short = num(d["short"]) ?? 0;
    if (short === 0) return [];
    return [
      {
        probe: String(d["probe"] ?? ""),
        kind: String(d["kind"] ?? ""),
        short,
        shortAccuracy: num(obj(d["short_problems"])["accuracy"]),
      },
    ];
  });
}

function shortOnlyText(v: ShortOnlyView): string {
  const own = v.shortAccuracy === null ? "" : `, ${pct(v.shortAccuracy)}% of their instances right`;
  return `${v.probe} ${v.kind}: ${v.short} problems, each with fewer${own}`;
}

/** The distributions of a summary's `instances` (empty for a run without --instances). */
export function instanceViews(summary: AuditSummary): InstanceDistributionView[] {
  const inst = obj(summary.instances);
  const problems = arr(inst["problems"]).map(obj);
  return arr(inst["distributions"]).flatMap((raw) => {
    const d = obj(raw);
    const probe = String(d["probe"] ?? "");
    const kind = String(d["kind"] ?? "");
    const sets = arr(d["sets"]).flatMap((raw): SetAccuracy[] => {
      const o = obj(raw);
      const instance = num(o["instance"]);
      const n = num(o["problems"]);
      const correct = num(o["correct"]);
      const accuracy = num(o["accuracy"]);
      return instance === null || n === null || correct === null || accuracy === null
        ? []
        : [{ instance, problems: n, correct, accuracy }];
    });
    // A summary from before the sets were restricted to full problems has no `full`: every
    // problem then counts as in the sets, as it did.
    if (sets.length === 0) return [];
    const short = obj(d["short_problems"]);
    const perProblem: [number, number, number, number] = [0, 0, 0, 0];
    for (const p of problems) {
      if (p["probe"] !== probe || p["kind"] !== kind) continue;
      const a = num(p["accuracy"]) ?? 0;
      perProblem[a === 0 ? 0 : a < 0.5 ? 1 : a < 1 ? 2 : 3]++;
    }
    return [
      {
        probe,
        kind,
        requested: num(d["requested"]) ?? sets.length,
        problems: num(d["problems"]) ?? 0,
        full: num(d["full"]) ?? num(d["problems"]) ?? 0,
        short: num(d["short"]) ?? 0,
        sets,
        mean: num(d["mean"]) ?? 0,
        sd: num(d["sd"]),
        min: num(d["min"]) ?? 0,
        max: num(d["max"]) ?? 0,
        original: num(obj(d["original"])["accuracy"]) ?? 0,
        shortAccuracy: num(short["accuracy"]),
        shortOriginal: num(short["problems"]) ? num(obj(short["original"])["accuracy"]) : null,
        perProblem,
      },
    ];
  });
}

/** Bar widths in percentage points a histogram may use: about ten bars across the spread. */
const WIDTHS = [1, 2, 2.5, 5, 10, 20];

/** Bins of accuracies (in [0, 1]) in percent, aligned to a multiple of the width, covering min to max. */
export function histogram(accuracies: readonly number[]): HistogramBin[] {
  const pts = accuracies.map((a) => a * 100);
  const lo = Math.min(...pts);
  const hi = Math.max(...pts);
  const width = WIDTHS.find((w) => (hi - lo) / w <= 10) ?? 20;
  const start = Math.floor(lo / width) * width;
  const count = Math.max(1, Math.floor((hi - start) / width) + 1);
  const bins: HistogramBin[] = Array.from({ length: count }, (_, i) => ({
    from: start + i * width,
    to: start + (i + 1) * width,
    count: 0,
  }));
  for (const p of pts) {
    const i = Math.min(count - 1, Math.floor((p - start) / width + 1e-9));
    (bins[i] as HistogramBin).count++;
  }
  return bins;
}

const pct = (v: number) => (v * 100).toFixed(1);
const points = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

/** The histogram as inline SVG: bars, the mean (solid) and the originals' accuracy (dashed). */
function histogramSvg(d: InstanceDistributionView, bins: readonly HistogramBin[], id: string): string {
  const [w, h, left, bottom, top] = [480, 180, 34, 34, 10];
  const plotW = w - left - 10;
  const plotH = h - bottom - top;
  // The axis covers the bars and the originals' accuracy, which may lie far from them.
  const from = Math.min((bins[0] as HistogramBin).from, Math.floor(d.original * 100));
  const to = Math.max((bins[bins.length - 1] as HistogramBin).to, Math.ceil(d.original * 100));
  const x = (p: number) => left + ((p - from) / Math.max(to - from, 1e-9)) * plotW;
  const most = Math.max(...bins.map((b) => b.count));
  const y = (c: number) => top + plotH - (c / most) * plotH;
  const bars = bins
    .map(
      (b) =>
        `<rect class="bar" x="${x(b.from).toFixed(1)}" y="${y(b.count).toFixed(1)}" width="${Math.max(1, x(b.to) - x(b.from) - 1).toFixed(1)}" height="${(top + plotH - y(b.count)).toFixed(1)}"/>`,
    )
    .join("");
  const marker = (p: number, cls: string) =>
    `<line class="${cls}" x1="${x(p).toFixed(1)}" x2="${x(p).toFixed(1)}" y1="${top}" y2="${top + plotH}"/>`;
  const ticks = [from, (from + to) / 2, to]
    .map(
      (p) => `<text x="${x(p).toFixed(1)}" y="${h - bottom + 14}" text-anchor="middle">${points(p)}%</text>`,
    )
    .join("");
  return `<svg class="inst-hist" viewBox="0 0 ${w} ${h}" role="img" aria-labelledby="${id}-cap" preserveAspectRatio="xMidYMid meet">
<line class="axis" x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}"/>
<text x="${left - 4}" y="${top + 8}" text-anchor="end">${most}</text><text x="${left - 4}" y="${top + plotH}" text-anchor="end">0</text>
${bars}${marker(d.mean * 100, "mean")}${marker(d.original * 100, "orig")}${ticks}
<text x="${left + plotW / 2}" y="${h - 4}" text-anchor="middle">accuracy of an instance set (%)</text>
</svg>`;
}

/** The problems with fewer than K instances, in words. */
function shortText(d: InstanceDistributionView): string {
  if (d.short === 0) return "no problem has fewer.";
  const own = d.shortAccuracy === null ? "" : `: ${pct(d.shortAccuracy)}% of their instances right`;
  const orig = d.shortOriginal === null ? "" : `, their originals ${pct(d.shortOriginal)}%`;
  return `${d.short} with fewer are left out of the sets${own}${orig}.`;
}

function distributionHtml(d: InstanceDistributionView, index: number): string {
  const id = `inst-${index}`;
  const bins = histogram(d.sets.map((s) => s.accuracy));
  const label = `${d.probe} ${d.kind}`;
  const binRows = bins
    .map((b, i) => {
      const last = i === bins.length - 1;
      return `<tr><td>${points(b.from)}–${points(b.to)}%${last ? " (inclusive)" : ""}</td><td class="n">${b.count}</td></tr>`;
    })
    .join("");
  const setRows = d.sets
    .map(
      (s) =>
        `<tr><td class="n">${s.instance}</td><td class="n">${s.problems}</td><td class="n">${s.correct}</td><td class="n">${pct(s.accuracy)}</td></tr>`,
    )
    .join("");
  const [none, low, high, all] = d.perProblem;
  return `<figure class="instances">
<figcaption id="${id}-cap"><b>${e(label)}</b>: greedy accuracy of each of the ${d.sets.length} instance sets. Mean ${pct(d.mean)}% (solid line), sd ${d.sd === null ? "–" : pct(d.sd)} points, range ${pct(d.min)}–${pct(d.max)}%; the originals of the same problems ${pct(d.original)}% (dashed line). Every set holds the ${d.full} problems with all ${d.requested} instances; ${shortText(d)}</figcaption>
${histogramSvg(d, bins, id)}
<details><summary>The numbers (text alternative of the histogram)</summary>
<table class="inst-bins"><caption>Instance sets by accuracy</caption><thead><tr><th scope="col">accuracy</th><th scope="col">instance sets</th></tr></thead><tbody>${binRows}</tbody></table>
<table class="inst-sets"><caption>Each instance set</caption><thead><tr><th scope="col">instance</th><th scope="col">problems</th><th scope="col">right</th><th scope="col">accuracy %</th></tr></thead><tbody>${setRows}</tbody></table>
<table class="inst-problems"><caption>Problems by accuracy over their own instances</caption><thead><tr><th scope="col">0%</th><th scope="col">above 0, below 50%</th><th scope="col">50% to below 100%</th><th scope="col">100%</th></tr></thead><tbody><tr><td class="n">${none}</td><td class="n">${low}</td><td class="n">${high}</td><td class="n">${all}</td></tr></tbody></table>
</details>
</figure>`;
}

const INSTANCES_CSS = `<style>
#instances .instances{margin:1em 0;max-width:40em}
#instances svg.inst-hist{width:100%;height:auto;font:11px sans-serif}
#instances svg .bar{fill:#4e79a7}
#instances svg .axis{stroke:currentColor}
#instances svg text{fill:currentColor}
#instances svg .mean{stroke:#e15759;stroke-width:2}
#instances svg .orig{stroke:#59a14f;stroke-width:2;stroke-dasharray:5 3}
#instances table{margin:.5em 0}
</style>`;

/** The section (empty for a run without --instances). */
export function instancesHtml(summary: AuditSummary): string {
  const views = instanceViews(summary);
  const shortOnly = shortOnlyViews(summary);
  if (views.length === 0 && shortOnly.length === 0) return "";
  const k = num(obj(summary.instances)["requested"]) ?? views[0]?.requested ?? 0;
  const none =
    shortOnly.length === 0
      ? ""
      : `\n<p>No problem allowed all ${k} instances of: ${shortOnly.map((v) => e(shortOnlyText(v))).join("; ")}. These kinds have no instance sets; ask for fewer instances to compare them.</p>`;
  return `<section id="instances"><h2>Instance sets (GSM-Symbolic style)</h2>${INSTANCES_CSS}
<p>This run made ${k} number instantiations of each problem per answer-changing probe (<code>--instances ${k}</code>). Instance set <i>j</i> holds the <i>j</i>-th instantiation of every problem that has all ${k} (so every set is over the same problems, and the originals' accuracy too); problems that allow fewer are counted apart. How far the sets' accuracies spread shows how much a single fixed benchmark's score owes to its particular numbers.</p>
${views.map(distributionHtml).join("\n")}${none}
</section>`;
}

/** The same figures for report.md: one table row per probe kind. */
export function instancesMarkdown(summary: AuditSummary, text: (s: string) => string): string[] {
  const views = instanceViews(summary);
  const shortOnly = shortOnlyViews(summary);
  if (views.length === 0 && shortOnly.length === 0) return [];
  const k = num(obj(summary.instances)["requested"]) ?? views[0]?.requested ?? 0;
  return [
    `### Instance sets (--instances ${k})`,
    "",
    "| probe | kind | sets | mean % | sd | range % | originals % | problems with all K | fewer than K: problems, instances %, originals % |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...views.map(
      (d) =>
        `| ${text(d.probe)} | ${text(d.kind)} | ${d.sets.length} | ${pct(d.mean)} | ${d.sd === null ? "-" : pct(d.sd)} | ${pct(d.min)}-${pct(d.max)} | ${pct(d.original)} | ${d.full} | ${d.short}, ${d.shortAccuracy === null ? "-" : pct(d.shortAccuracy)}, ${d.shortOriginal === null ? "-" : pct(d.shortOriginal)} |`,
    ),
    ...shortOnly.map(
      (v) =>
        `| ${text(v.probe)} | ${text(v.kind)} | 0 | - | - | - | - | 0 | ${v.short}, ${v.shortAccuracy === null ? "-" : pct(v.shortAccuracy)}, - |`,
    ),
    "",
  ];
}
