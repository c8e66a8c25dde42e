/**
 * `--baseline SUMMARY.json`: flags significant regressions against an earlier run (e.g. the
 * previous checkpoint). Each compared figure becomes one gate named `baseline:<metric>`.
 *
 * Test: the two runs are independent, so the difference of two estimates is compared with its
 * standard error, each estimate's standard error read off its stored interval as
 * (high - low) / (2 z), z the normal quantile of the interval's level. A regression is a change
 * in the bad direction with two-sided p < alpha (0.05 by default). Compared: greedy accuracy and
 * pass@1 of every label in both runs (lower is worse), the drop of every probe in both (higher is
 * worse), the overall stale-answer rate (higher is worse).
 */
import { readFileSync } from "node:fs";
import { normalQuantile } from "../metrics/index.js";
import { InputError } from "../util/errors.js";
import { fmt, type GateResult } from "./gates.js";
import { type AuditSummary, SUMMARY_SCHEMA, SUMMARY_VERSION } from "./summary.js";

export function readSummaryFile(path: string): AuditSummary {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new InputError(`--baseline ${path}: cannot read a summary (${(err as Error).message})`);
  }
  const s = value as Partial<AuditSummary>;
  if (s?.schema !== SUMMARY_SCHEMA || typeof s.schema_version !== "number") {
    throw new InputError(`--baseline ${path}: not a litmus audit summary.json`);
  }
  if (s.schema_version > SUMMARY_VERSION) {
    throw new InputError(
      `--baseline ${path}: summary schema version ${s.schema_version}, this litmus reads up to ${SUMMARY_VERSION}`,
    );
  }
  return s as AuditSummary;
}

interface Estimate {
  value: number;
  ci: [number, number];
}

/** A figure with its interval, or null when either run lacks it. */
function estimate(summary: AuditSummary, metric: string): Estimate | null {
  const [head, label] = metric.split(".") as [string, string | undefined];
  const probe = summary.probes.find((p) => p.probe === label);
  let obj: { value?: unknown; drop?: unknown; ci?: unknown } | undefined;
  if (head === "stale_rate" && label === undefined) obj = (summary.stale as { rate?: typeof obj }).rate;
  else if (!probe) return null;
  else if (head === "accuracy") obj = probe["greedy_accuracy"] as typeof obj;
  else if (head === "pass@1") obj = (probe["pass_at_k"] as Record<string, typeof obj> | undefined)?.["1"];
  else if (head === "drop") {
    const d = probe["drop"] as { drop?: unknown; ci?: unknown } | null;
    obj = d ? { value: d.drop, ci: d.ci } : undefined;
  }
  if (!obj || typeof obj.value !== "number" || !Array.isArray(obj.ci)) return null;
  return { value: obj.value, ci: obj.ci as [number, number] };
}

/** Compares the current summary with a baseline; one result per figure both runs measured. */
export function compareWithBaseline(
  current: AuditSummary,
  baseline: AuditSummary,
  alpha = 0.05,
): GateResult[] {
  const labels = current.probes.map((p) => p.probe).filter((l) => baseline.probes.some((b) => b.probe === l));
  const figures: Array<{ metric: string; higherIsWorse: boolean }> = [];
  for (const l of labels) {
    figures.push({ metric: `accuracy.${l}`, higherIsWorse: false });
    figures.push({ metric: `pass@1.${l}`, higherIsWorse: false });
    if (l !== "original") figures.push({ metric: `drop.${l}`, higherIsWorse: true });
  }
  figures.push({ metric: "stale_rate", higherIsWorse: true });
  const levelOf = (s: AuditSummary) => s.bootstrap?.level ?? 0.95;
  const zCur = normalQuantile(1 - (1 - levelOf(current)) / 2);
  const zBase = normalQuantile(1 - (1 - levelOf(baseline)) / 2);
  const out: GateResult[] = [];
  for (const f of figures) {
    const cur = estimate(current, f.metric);
    const base = estimate(baseline, f.metric);
    if (!cur || !base) continue;
    const se = Math.hypot((cur.ci[1] - cur.ci[0]) / (2 * zCur), (base.ci[1] - base.ci[0]) / (2 * zBase));
    const diff = cur.value - base.value;
    const p = se === 0 ? (diff === 0 ? 1 : 0) : 2 * (1 - normalCdf(Math.abs(diff) / se));
    const worse = f.higherIsWorse ? diff > 0 : diff < 0;
    const failed = worse && p < alpha;
    out.push({
      name: `baseline:${f.metric}`,
      failed,
      value: cur.value,
      message:
        `${f.metric} ${fmt(base.value)} -> ${fmt(cur.value)} (${diff >= 0 ? "+" : ""}${fmt(diff)}, p = ${p.toPrecision(3)})` +
        (failed ? ": significant regression" : ""),
    });
  }
  return out;
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, error below 1.5e-7: ample for a p < 0.05 call). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
