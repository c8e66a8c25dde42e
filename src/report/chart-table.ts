/**
 * The text alternative of a chart: its numbers as a table (one row per x label, one column per
 * dataset, intervals beside their values), built from the same chart.js configuration the canvas
 * and the PNG are drawn from, so the three cannot disagree. Labels are escaped (they can be probe
 * or data-set names).
 */
import type { ChartSpec } from "./charts.js";
import { escapeHtml as e } from "./format.js";

interface DatasetLike {
  label?: unknown;
  data?: unknown;
  errorBars?: unknown;
}

/** Integers as they are; anything else to one decimal (the charts' own precision). */
function figure(v: unknown): string {
  if (typeof v !== "number" || !Number.isFinite(v)) return "–";
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function interval(bar: unknown): string {
  return Array.isArray(bar) && typeof bar[0] === "number" && typeof bar[1] === "number"
    ? ` [${figure(bar[0])}, ${figure(bar[1])}]`
    : "";
}

/** The axis title chart.js shows for `axis`, or null. */
function axisTitle(spec: ChartSpec, axis: "x" | "y"): string | null {
  const scales = spec.config.options["scales"] as Record<string, { title?: { text?: unknown } }> | undefined;
  const text = scales?.[axis]?.title?.text;
  return typeof text === "string" ? text : null;
}

/** `<table>` of a chart's numbers (no wrapper). */
export function chartDataTable(spec: ChartSpec): string {
  const datasets = spec.config.data.datasets as DatasetLike[];
  const withBars = datasets.some((d) => Array.isArray(d.errorBars));
  const x = axisTitle(spec, "x") ?? (spec.config.type === "line" ? "x" : "label");
  const y = axisTitle(spec, "y");
  const head = [
    `<th scope="col">${e(x)}</th>`,
    ...datasets.map(
      (d, i) =>
        `<th scope="col">${e(typeof d.label === "string" ? d.label : `series ${i + 1}`)}${Array.isArray(d.errorBars) ? " [interval]" : ""}</th>`,
    ),
  ].join("");
  const rows = spec.config.data.labels
    .map((label, i) => {
      const cells = datasets.map((d) => {
        const values = Array.isArray(d.data) ? d.data : [];
        const bars = Array.isArray(d.errorBars) ? d.errorBars : [];
        return `<td class="n">${figure(values[i])}${interval(bars[i])}</td>`;
      });
      return `<tr><th scope="row">${e(String(label))}</th>${cells.join("")}</tr>`;
    })
    .join("");
  const caption = `${e(spec.title)}${y ? `: ${e(y)}` : ""}${withBars ? ", with intervals in brackets" : ""}`;
  return `<table class="chart-data"><caption>${caption}</caption><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}
