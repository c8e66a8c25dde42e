/**
 * Two runs side by side (e.g. two checkpoints): each figure of both, their difference, and its
 * significance. With both run stores the p-values are those of the paired comparison that
 * `--baseline` gates use (src/metrics/checkpoint.ts: McNemar on the originals, sign-flip tests
 * over problems otherwise, Holm-adjusted). Without them (a summary alone) the runs can only be
 * treated as independent samples: the difference against its standard error read off the two
 * intervals. Per problem: how verdicts moved between the runs.
 */
import type { CheckpointComparison } from "../metrics/checkpoint.js";
import { normalQuantile } from "../metrics/index.js";
import { normalCdf } from "./format.js";
import type { Interval, ReportModel } from "./model.js";

export interface CompareFigure {
  label: string;
  metric: "greedy accuracy" | "pass@1" | "drop" | "stale rate";
  baseline: Interval;
  current: Interval;
  /** current - baseline. */
  diff: number | null;
  p: number | null;
  /** The change is in the bad direction (lower accuracy, larger drop, more stale answers). */
  worse: boolean | null;
}

export interface Comparison {
  baselineTitle: string;
  figures: CompareFigure[];
  /** transitions[from][to] = problems (from: baseline verdict, to: current). */
  transitions: Record<string, Record<string, number>>;
  /** Problems in both runs. */
  shared: number;
  /** Whether p comes from the paired comparison (both run stores) rather than the two intervals. */
  paired: boolean;
}

function z(level: number): number {
  return normalQuantile(1 - (1 - level) / 2);
}

export function differenceTest(
  a: Interval,
  b: Interval,
  level: number,
): { diff: number | null; p: number | null } {
  if (a.value === null || b.value === null) return { diff: null, p: null };
  const diff = b.value - a.value;
  if (!a.ci || !b.ci) return { diff, p: null };
  const q = z(level);
  const se = Math.hypot((a.ci[1] - a.ci[0]) / (2 * q), (b.ci[1] - b.ci[0]) / (2 * q));
  if (se === 0) return { diff, p: diff === 0 ? 1 : 0 };
  return { diff, p: 2 * (1 - normalCdf(Math.abs(diff) / se)) };
}

/** The paired figure behind a report figure (label, metric), by the checkpoint comparison's names. */
function pairedName(label: string, metric: CompareFigure["metric"]): string {
  if (metric === "greedy accuracy") return `accuracy.${label}`;
  if (metric === "pass@1") return `pass@1.${label}`;
  if (metric === "drop") return `drop.${label}`;
  return label === "all" ? "stale_share" : `stale_share.${label}`;
}

export function compareModels(
  current: ReportModel,
  baseline: ReportModel,
  paired: CheckpointComparison | null = null,
): Comparison {
  const pairedP = new Map(paired?.figures.map((f) => [f.metric, f.adjustedP]) ?? []);
  const figures: CompareFigure[] = [];
  const level = current.header.level;
  const labels = current.rows.map((r) => r.label).filter((l) => baseline.rows.some((r) => r.label === l));
  const add = (
    label: string,
    metric: CompareFigure["metric"],
    a: Interval | null,
    b: Interval | null,
    higherIsWorse: boolean,
  ) => {
    if (!a || !b) return;
    const t = differenceTest(a, b, level);
    figures.push({
      label,
      metric,
      baseline: a,
      current: b,
      diff: t.diff,
      p: paired ? (pairedP.get(pairedName(label, metric)) ?? null) : t.p,
      worse: t.diff === null || t.diff === 0 ? null : higherIsWorse ? t.diff > 0 : t.diff < 0,
    });
  };
  for (const label of labels) {
    const a = baseline.rows.find((r) => r.label === label)!;
    const b = current.rows.find((r) => r.label === label)!;
    add(label, "greedy accuracy", a.greedy, b.greedy, false);
    add(label, "pass@1", a.passAtK[0] ?? null, b.passAtK[0] ?? null, false);
    add(label, "drop", a.drop, b.drop, true);
    add(label, "stale rate", a.stale, b.stale, true);
  }
  add("all", "stale rate", baseline.overallStale, current.overallStale, true);
  const before = new Map(
    baseline.summary.verdicts.map((v) => [String(v["problem_id"]), String(v["verdict"])]),
  );
  const transitions: Record<string, Record<string, number>> = {};
  let shared = 0;
  for (const v of current.summary.verdicts) {
    const from = before.get(String(v["problem_id"]));
    if (from === undefined) continue;
    shared++;
    const to = String(v["verdict"]);
    transitions[from] ??= {};
    transitions[from][to] = (transitions[from][to] ?? 0) + 1;
  }
  for (const p of current.problems) p.bv = before.get(p.id) ?? null;
  return { baselineTitle: baseline.title, figures, transitions, shared, paired: paired !== null };
}
