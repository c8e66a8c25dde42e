/**
 * Chart definitions, shared by the HTML page (chart.js in the browser) and the PNG charts
 * (chartjs-node-canvas): each is a plain JSON chart.js configuration, plus one plugin, written as a
 * self-contained function so that its source can be inlined into the page.
 */
import type { DetectorView } from "./detectors.js";
import type { ProbeRow, ReportModel } from "./model.js";

export interface ChartSpec {
  id: string;
  title: string;
  /** One sentence on how to read it. */
  caption: string;
  /** A chart.js configuration (JSON only: no functions). */
  config: ChartConfigJson;
}

export interface ChartConfigJson {
  type: "bar" | "line";
  data: { labels: Array<string | number>; datasets: Array<Record<string, unknown>> };
  options: Record<string, unknown>;
}

/**
 * Tableau's hues at a relative luminance of about 0.2, where each keeps 3:1 (WCAG 2.1 AA for
 * graphics) against both the light and the dark chart panel: the same configuration draws in both
 * schemes and in the PNGs.
 */
export const PALETTE = [
  "#527fae",
  "#bd640c",
  "#4c8a43",
  "#de4346",
  "#a56894",
  "#478682",
  "#96790f",
  "#9a745e",
];
/** The chance bars: grey at the palette's luminance. */
export const CHANCE_COLOR = "#7b7b7b";
/** Also the badges' backgrounds under white text (style.ts): 4.5:1 there, 3:1 on either panel. */
export const VERDICT_COLORS: Record<string, string> = {
  memorized: "#d9292b",
  suspect: "#9b5c8a",
  fragile: "#ad5c0b",
  robust: "#457d3e",
  unsolved: "#717171",
};

interface ChartLike {
  ctx: CanvasRenderingContext2DLike;
  data: { datasets: Array<{ errorBars?: Array<[number, number] | null>; borderColor?: unknown }> };
  isDatasetVisible(i: number): boolean;
  getDatasetMeta(i: number): { data: Array<{ x: number; y: number; width?: number }> };
  scales: Record<string, { getPixelForValue(v: number): number }>;
}
interface CanvasRenderingContext2DLike {
  save(): void;
  restore(): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  stroke(): void;
  strokeStyle: unknown;
  lineWidth: number;
}

/**
 * chart.js plugin hook: draws `dataset.errorBars[i] = [low, high]` (in data units) as whiskers on
 * vertical bars and line points, in the plugin's `color` (the text colour: a whisker crosses its
 * own opaque bar, so the bar's colour would hide half of it). Self-contained (its source is
 * inlined into the HTML page).
 */
export function drawErrorBars(chart: ChartLike, _args?: unknown, options?: { color?: unknown }): void {
  const ctx = chart.ctx;
  const y = chart.scales["y"];
  if (!y) return;
  chart.data.datasets.forEach((ds, i) => {
    if (!ds.errorBars || !chart.isDatasetVisible(i)) return;
    const meta = chart.getDatasetMeta(i);
    ctx.save();
    ctx.strokeStyle =
      typeof options?.color === "string"
        ? options.color
        : typeof ds.borderColor === "string"
          ? ds.borderColor
          : "#555";
    ctx.lineWidth = 1.5;
    ds.errorBars.forEach((bar, j) => {
      const el = meta.data[j];
      if (!bar || !el) return;
      const lo = y.getPixelForValue(bar[0]);
      const hi = y.getPixelForValue(bar[1]);
      const half = Math.min(8, (el.width ?? 12) / 4);
      ctx.beginPath();
      ctx.moveTo(el.x, lo);
      ctx.lineTo(el.x, hi);
      ctx.moveTo(el.x - half, lo);
      ctx.lineTo(el.x + half, lo);
      ctx.moveTo(el.x - half, hi);
      ctx.lineTo(el.x + half, hi);
      ctx.stroke();
    });
    ctx.restore();
  });
}

export const ERROR_BARS_PLUGIN_ID = "litmusErrorBars";

/** The PNGs' whisker colour: the light scheme's text colour (style.ts), on their white background. */
export const PNG_ERROR_BAR_COLOR = "#1d1f23";

/** The plugin object for chart.js in Node. */
export const errorBarsPlugin = {
  id: ERROR_BARS_PLUGIN_ID,
  afterDatasetsDraw: drawErrorBars,
  defaults: { color: PNG_ERROR_BAR_COLOR },
};

const p100 = (v: number | null | undefined): number | null => (typeof v === "number" ? v * 100 : null);
const ci100 = (ci: [number, number] | null | undefined): [number, number] | null =>
  ci ? [ci[0] * 100, ci[1] * 100] : null;

function baseOptions(yTitle: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    plugins: { legend: { display: true, position: "bottom" }, title: { display: false } },
    scales: {
      y: { beginAtZero: true, title: { display: true, text: yTitle } },
      ...((extra["scales"] as Record<string, unknown>) ?? {}),
    },
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== "scales")),
  };
}

function barDataset(
  label: string,
  color: string,
  values: Array<number | null>,
  bars: Array<[number, number] | null>,
) {
  return {
    label,
    data: values,
    // Opaque: a translucent fill would fall below 3:1 on the light panel.
    backgroundColor: color,
    borderColor: color,
    borderWidth: 1,
    errorBars: bars,
  };
}

/** Greedy accuracy and pass@1 by label, with interval whiskers. */
export function accuracyChart(rows: readonly ProbeRow[], level: number): ChartSpec {
  return {
    id: "accuracy",
    title: "Accuracy by probe",
    caption: `Greedy accuracy and pass@1 (%), whiskers: ${Math.round(level * 100)}% intervals.`,
    config: {
      type: "bar",
      data: {
        labels: rows.map((r) => r.label),
        datasets: [
          barDataset(
            "greedy accuracy",
            PALETTE[0]!,
            rows.map((r) => p100(r.greedy.value)),
            rows.map((r) => ci100(r.greedy.ci)),
          ),
          barDataset(
            "pass@1",
            PALETTE[1]!,
            rows.map((r) => p100(r.passAtK[0]?.value)),
            rows.map((r) => ci100(r.passAtK[0]?.ci)),
          ),
        ],
      },
      options: baseOptions("accuracy (%)", {
        scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: "accuracy (%)" } } },
      }),
    },
  };
}

/** pass@k for k = 1..n, one line per label. */
export function passAtKChart(rows: readonly ProbeRow[]): ChartSpec {
  const n = Math.max(0, ...rows.map((r) => r.passAtK.length));
  return {
    id: "pass-at-k",
    title: "pass@k curves",
    caption: "pass@k (%) for k = 1..n, the originals and each probe.",
    config: {
      type: "line",
      data: {
        labels: Array.from({ length: n }, (_, i) => i + 1),
        datasets: rows.map((r, i) => ({
          label: r.label,
          data: Array.from({ length: n }, (_, k) => p100(r.passAtK[k]?.value)),
          borderColor: PALETTE[i % PALETTE.length],
          backgroundColor: PALETTE[i % PALETTE.length],
          borderWidth: r.label === "original" ? 3 : 2,
          borderDash: r.label === "original" ? [] : [6, 3],
          pointRadius: 3,
          tension: 0.2,
        })),
      },
      options: baseOptions("pass@k (%)", {
        scales: {
          y: { beginAtZero: true, max: 100, title: { display: true, text: "pass@k (%)" } },
          x: { title: { display: true, text: "k" } },
        },
      }),
    },
  };
}

/** Stale-answer rate of each answer-changing probe next to its chance rate. */
export function staleChart(rows: readonly ProbeRow[], level: number): ChartSpec {
  const changing = rows.filter((r) => r.stale);
  return {
    id: "stale",
    title: "Stale-answer rate by probe",
    caption: `Share (%) of completions on answer-changing variants that give the original answer, with ${Math.round(level * 100)}% intervals, next to the chance rate.`,
    config: {
      type: "bar",
      data: {
        labels: changing.map((r) => r.label),
        datasets: [
          barDataset(
            "stale rate",
            PALETTE[3]!,
            changing.map((r) => p100(r.stale?.value)),
            changing.map((r) => ci100(r.stale?.ci)),
          ),
          {
            label: "chance",
            data: changing.map((r) => p100(r.stale?.baseline)),
            backgroundColor: CHANCE_COLOR,
            borderColor: CHANCE_COLOR,
            borderWidth: 1,
          },
        ],
      },
      options: baseOptions("stale answers (%)", {
        scales: {
          y: {
            beginAtZero: true,
            max: axisTop(changing),
            title: { display: true, text: "stale answers (%)" },
          },
        },
      }),
    },
  };
}

/**
 * The y axis's top for the stale chart: above every rate, interval end and chance rate (Chart.js
 * sizes an axis by the bars alone, so a whisker would run off the plot), rounded up to a multiple
 * of 10, at most 100.
 */
function axisTop(rows: readonly ProbeRow[]): number {
  const highs = rows.flatMap((r) => [r.stale?.value, r.stale?.ci?.[1], r.stale?.baseline]);
  const top = Math.max(0, ...highs.map((v) => (typeof v === "number" ? v * 100 : 0)));
  return Math.min(100, Math.max(10, Math.ceil((top + 1e-9) / 10) * 10));
}

/** Verdict counts (one bar per verdict). */
export function verdictChart(counts: Record<string, number>, verdicts: readonly string[]): ChartSpec {
  return {
    id: "verdicts",
    title: "Verdict counts",
    caption: `Problems per verdict: ${verdicts.join(", ")}.`,
    config: {
      type: "bar",
      data: {
        labels: [...verdicts],
        datasets: [
          {
            label: "problems",
            data: verdicts.map((v) => counts[v] ?? 0),
            backgroundColor: verdicts.map((v) => VERDICT_COLORS[v] ?? PALETTE[0]),
            borderWidth: 0,
          },
        ],
      },
      options: baseOptions("problems", { plugins: { legend: { display: false } } }),
    },
  };
}

/** Histogram bins over both samples (share of each sample per bin). */
export function histogram(
  a: readonly number[],
  b: readonly number[],
  bins = 20,
): { labels: string[]; a: number[]; b: number[] } {
  const all = [...a, ...b];
  if (all.length === 0) return { labels: [], a: [], b: [] };
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const count = (xs: readonly number[]) => {
    const out = new Array<number>(bins).fill(0);
    for (const x of xs) out[Math.min(bins - 1, Math.floor((x - lo) / width))]! += 1;
    return out.map((c) => (xs.length === 0 ? 0 : (c / xs.length) * 100));
  };
  const labels = Array.from({ length: bins }, (_, i) =>
    Number((lo + (i + 0.5) * width).toPrecision(3)).toString(),
  );
  return { labels, a: count(a), b: count(b) };
}

/** Distribution of one detector's scores, originals vs variants. */
export function detectorChart(d: DetectorView): ChartSpec | null {
  if (!d.distributions) return null;
  const h = histogram(d.distributions.original, d.distributions.variants);
  return {
    id: `detector-${d.name.replace(/[^A-Za-z0-9_-]/g, "_")}`,
    title: `${d.label}: originals vs variants`,
    caption: `Share (%) of originals (n = ${d.distributions.original.length}) and variants (n = ${d.distributions.variants.length}) per score bin.`,
    config: {
      type: "bar",
      data: {
        labels: h.labels,
        datasets: [
          {
            label: "originals",
            data: h.a,
            backgroundColor: PALETTE[3],
            borderColor: PALETTE[3],
            borderWidth: 1,
          },
          {
            label: "variants",
            data: h.b,
            backgroundColor: PALETTE[0],
            borderColor: PALETTE[0],
            borderWidth: 1,
          },
        ],
      },
      options: baseOptions("share (%)", {
        scales: { x: { title: { display: true, text: d.label } } },
        datasets: { bar: { barPercentage: 1, categoryPercentage: 0.9 } },
      }),
    },
  };
}

/** Every chart of a single-run report, in page order. */
export function runCharts(model: ReportModel, verdicts: readonly string[]): ChartSpec[] {
  const level = model.header.level;
  const out: ChartSpec[] = [accuracyChart(model.rows, level), passAtKChart(model.rows)];
  if (model.rows.some((r) => r.stale)) out.push(staleChart(model.rows, level));
  for (const d of model.detectors) {
    const c = detectorChart(d);
    if (c) out.push(c);
  }
  out.push(verdictChart(model.verdictCounts, verdicts));
  return out;
}

/** Two runs side by side: one dataset per run, with intervals. */
export function compareBarChart(
  id: string,
  title: string,
  caption: string,
  labels: readonly string[],
  runs: ReadonlyArray<{ name: string; values: Array<number | null>; ci: Array<[number, number] | null> }>,
  yTitle: string,
): ChartSpec {
  return {
    id,
    title,
    caption,
    config: {
      type: "bar",
      data: {
        labels: [...labels],
        datasets: runs.map((r, i) =>
          barDataset(r.name, PALETTE[i === 0 ? 5 : 0]!, r.values.map(p100), r.ci.map(ci100)),
        ),
      },
      options: baseOptions(yTitle),
    },
  };
}
