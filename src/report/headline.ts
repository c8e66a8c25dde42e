/**
 * The headline: a plain-language verdict of a run, with the thresholds that produced it.
 *
 * Rules (first that applies):
 * 1. `memorization`: some answer-changing probe's stale-answer rate has its interval's lower bound
 *    at least `staleMinLow` and is at least `staleMinLift` times its chance rate;
 * 2. `inconclusive`: original greedy accuracy below `minOriginalAccuracy` (too few solved problems
 *    to see anything);
 * 3. `fragile`: some probe's accuracy drop has its interval's lower bound at least `dropMinLow`
 *    and McNemar p < `alpha`;
 * 4. `clean`: none of the above.
 * The sentence lists every probe that met a rule, with its interval.
 */
import { pct, pctCi, pValue } from "./format.js";
import type { ProbeRow, ReportModel } from "./model.js";

export interface HeadlineThresholds {
  staleMinLow: number;
  staleMinLift: number;
  dropMinLow: number;
  alpha: number;
  minOriginalAccuracy: number;
}

export const HEADLINE_THRESHOLDS: Readonly<HeadlineThresholds> = {
  staleMinLow: 0.05,
  staleMinLift: 2,
  dropMinLow: 0.05,
  alpha: 0.05,
  minOriginalAccuracy: 0.05,
};

export type HeadlineKind = "memorization" | "fragile" | "clean" | "inconclusive";

export interface Headline {
  kind: HeadlineKind;
  title: string;
  /** Plain-language findings, one per probe that met a rule. */
  findings: string[];
  /** The rules and thresholds, in words. */
  rules: string[];
}

const DESCRIBE: Record<string, string> = {
  newline: "a one-line reformat (line breaks changed)",
  "number-swap": "changed quantities (number swap)",
  "price-edit": "a changed price",
  rename: "a renamed person",
  distractor: "one irrelevant sentence added",
  format: "the prompt's wrapper changed (labels, blank line, trailing spaces)",
  "digit-expansion": "a quantity scaled by 10, 100 or 1000 (digit expansion)",
  decimal: "a whole quantity made a decimal or fraction (2.5 hours, $4.75)",
};

export function probePhrase(probe: string): string {
  return DESCRIBE[probe] ?? `the ${probe} probe`;
}

function pts(v: number | null): string {
  return typeof v === "number" ? (v * 100).toFixed(0) : "–";
}

export function staleSignal(row: ProbeRow, t: HeadlineThresholds = HEADLINE_THRESHOLDS): boolean {
  const s = row.stale;
  if (!s || s.value === null || !s.ci) return false;
  const chance = s.baseline ?? 0;
  return s.ci[0] >= t.staleMinLow && s.value >= t.staleMinLift * chance;
}

export function dropSignal(row: ProbeRow, t: HeadlineThresholds = HEADLINE_THRESHOLDS): boolean {
  const d = row.drop;
  return !!d && d.value !== null && !!d.ci && d.ci[0] >= t.dropMinLow && d.p !== null && d.p < t.alpha;
}

export function headline(model: ReportModel, t: HeadlineThresholds = HEADLINE_THRESHOLDS): Headline {
  const original = model.rows.find((r) => r.label === "original");
  const probes = model.rows.filter((r) => r.label !== "original");
  const stale = probes.filter((r) => staleSignal(r, t));
  const drops = probes.filter((r) => dropSignal(r, t));
  const findings: string[] = [];
  for (const r of stale) {
    const s = r.stale!;
    findings.push(
      `stale original answers in ${pct(s.value, 0)}% [${pct(s.ci![0], 0)}, ${pct(s.ci![1], 0)}] of ${r.label} completions (chance ${pct(s.baseline, 1)}%)`,
    );
  }
  for (const r of drops) {
    const d = r.drop!;
    findings.push(
      `accuracy drops ${pts(d.value)} points [${pts(d.ci![0])}, ${pts(d.ci![1])}] under ${probePhrase(r.label)} (McNemar p ${pValue(d.p).startsWith("<") ? pValue(d.p) : `= ${pValue(d.p)}`})`,
    );
  }
  const acc = original?.greedy.value ?? null;
  let kind: HeadlineKind;
  let title: string;
  if (stale.length > 0) {
    kind = "memorization";
    title = "Signs of memorization: the model gives the original answer to changed problems";
  } else if (acc === null || acc < t.minOriginalAccuracy) {
    kind = "inconclusive";
    title = `Inconclusive: the model solves ${pctCi(acc, original?.greedy.ci ?? null, 0)}% of the original problems, too few to tell`;
  } else if (drops.length > 0) {
    kind = "fragile";
    title = "Fragile: accuracy drops under perturbation, but no stale-answer signal";
  } else {
    kind = "clean";
    title = "No evidence of memorization: accuracy survives the perturbations and no stale answers stand out";
  }
  if (findings.length === 0) {
    const worst = probes
      .filter((r) => r.drop?.value !== null && r.drop?.value !== undefined)
      .sort((a, b) => (b.drop!.value ?? 0) - (a.drop!.value ?? 0))[0];
    if (worst?.drop?.ci)
      findings.push(
        `largest accuracy drop: ${pts(worst.drop.value)} points [${pts(worst.drop.ci[0])}, ${pts(worst.drop.ci[1])}] under ${probePhrase(worst.label)} (McNemar p ${pValue(worst.drop.p)})`,
      );
    const s = model.overallStale;
    if (s && s.value !== null)
      findings.push(
        `stale original answers in ${pctCi(s.value, s.ci, 0)}% of answer-changing completions (chance ${pct(s.baseline, 1)}%)`,
      );
  }
  const rules = [
    `memorization: a stale-answer rate whose ${Math.round(model.header.level * 100)}% interval starts at ${pct(t.staleMinLow, 0)}% or more and is at least ${t.staleMinLift}x its chance rate`,
    `inconclusive: original greedy accuracy below ${pct(t.minOriginalAccuracy, 0)}%`,
    `fragile: an accuracy drop whose interval starts at ${pts(t.dropMinLow)} points or more, McNemar p < ${t.alpha}`,
    "per problem: unsolved, memorized (stale answers dominate its answer-changing variants), suspect (solved without stale answers, but at least two contamination-detector flags: likelihood above every neighbour, Min-K%++ above every neighbour, peaked samples), fragile, robust",
  ];
  return { kind, title, findings, rules };
}
