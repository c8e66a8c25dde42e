/**
 * CI gates: `--fail-on EXPR` conditions on the flat metrics of summary.json. A gate *fails* when
 * its condition holds (`stale_rate>0.05` fails when the stale rate exceeds 5%). Expressions are
 * checked against the run's configuration before any generation, so a typo costs no model time.
 */
import { ORIGINAL } from "../metrics/index.js";
import { InputError } from "../util/errors.js";
import type { AuditSummary } from "./summary.js";

export type GateOp = "<" | "<=" | ">" | ">=" | "==" | "!=";

export interface Gate {
  /** The expression as given (whitespace removed). */
  expr: string;
  metric: string;
  op: GateOp;
  threshold: number;
}

export interface GateResult {
  name: string;
  /** true when the gate failed (its fail condition held, or the metric was not measured). */
  failed: boolean;
  value: number | null;
  message: string;
}

/** What a run can measure, for validating metric names. */
export interface MetricSpace {
  probes: readonly string[];
  /** Probes whose variants change the answer (the only ones with stale rates). */
  answerChanging: readonly string[];
  /** Samples per prompt: pass@k exists for k = 1..n. */
  n: number;
}

const VERDICTS = ["memorized", "suspect", "fragile", "robust", "unsolved"];
const GLOBAL = [
  "stale_rate",
  "stale_ci_low",
  "stale_ci_high",
  "stale_baseline",
  "stale_lift",
  "no_answer_rate",
];
const PER_PROBE = ["drop", "drop_ci_low", "drop_ci_high", "mcnemar_p"];
const PER_CHANGING = ["stale_rate", "stale_ci_low", "stale_ci_high"];

/** Parses one `--fail-on` expression and checks its metric name; errors are InputErrors (exit 2). */
export function parseGate(text: string, space: MetricSpace): Gate {
  const expr = text.replace(/\s+/g, "");
  const m = /^([A-Za-z0-9_@.-]+?)(<=|>=|==|!=|<|>)(-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)$/i.exec(expr);
  if (!m) {
    throw new InputError(
      `--fail-on "${text}": expected METRIC OP NUMBER with OP one of < <= > >= == != (e.g. stale_rate>0.05)`,
    );
  }
  const metric = m[1] as string;
  const problem = checkMetricName(metric, space);
  if (problem) throw new InputError(`--fail-on "${text}": ${problem}`);
  return { expr, metric, op: m[2] as GateOp, threshold: Number(m[3]) };
}

/** null when `name` is a metric the run measures, else why not. */
export function checkMetricName(name: string, space: MetricSpace): string | null {
  if (GLOBAL.includes(name)) return null;
  const dot = name.indexOf(".");
  const head = dot < 0 ? name : name.slice(0, dot);
  const tail = dot < 0 ? "" : name.slice(dot + 1);
  const labels = [ORIGINAL, ...space.probes];
  const known =
    `known metrics: ${GLOBAL.join(", ")}, accuracy.<label>, pass@<k>.<label> (k <= n), ` +
    `${PER_PROBE.map((h) => `${h}.<probe>`).join(", ")}, stale_rate.<probe>, stale_ci_low.<probe>, stale_ci_high.<probe>, verdict.<verdict>, verdict_share.<verdict>`;
  const needLabel = (list: readonly string[], what: string) =>
    list.includes(tail)
      ? null
      : `unknown ${what} "${tail}" in metric "${name}" (expected ${list.join(", ")})`;
  if (head === "accuracy") return needLabel(labels, "label");
  const pass = /^pass@(\d+)$/.exec(head);
  if (pass) {
    const k = Number(pass[1]);
    if (k < 1 || k > space.n) return `metric "${name}": pass@k needs 1 <= k <= n (n = ${space.n})`;
    return needLabel(labels, "label");
  }
  if (PER_PROBE.includes(head)) return needLabel(space.probes, "probe");
  if (PER_CHANGING.includes(head)) return needLabel(space.answerChanging, "answer-changing probe");
  if (head === "verdict" || head === "verdict_share") return needLabel(VERDICTS, "verdict");
  return `unknown metric "${name}"; ${known}`;
}

/** Whether `value OP threshold` holds. */
export function compare(value: number, op: GateOp, threshold: number): boolean {
  switch (op) {
    case "<":
      return value < threshold;
    case "<=":
      return value <= threshold;
    case ">":
      return value > threshold;
    case ">=":
      return value >= threshold;
    case "==":
      return value === threshold;
    case "!=":
      return value !== threshold;
  }
}

/** Evaluates gates on a summary. A metric that was not measured (null) fails its gate: CI must notice. */
export function evaluateGates(gates: readonly Gate[], summary: AuditSummary): GateResult[] {
  return gates.map((g) => {
    const value = summary.metrics[g.metric] ?? null;
    if (value === null) {
      return { name: g.expr, failed: true, value, message: `${g.metric} was not measured in this run` };
    }
    const failed = compare(value, g.op, g.threshold);
    return {
      name: g.expr,
      failed,
      value,
      message: `${g.metric} = ${fmt(value)}${failed ? "" : " (not"} ${g.op} ${g.threshold}${failed ? "" : ")"}`,
    };
  });
}

export function fmt(value: number | null): string {
  if (value === null) return "n/a";
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}
