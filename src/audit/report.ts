/** Human-facing renderings of a summary: the terminal table, summary.md and junit.xml. */

import { markdownCode, markdownText } from "../report/markdown-text.js";
import { fmt, type GateResult } from "./gates.js";
import type { AuditSummary, TokenCounts } from "./summary.js";

interface Row {
  label: string;
  units: string;
  greedy: string;
  pass: string[];
  drop: string;
  mcnemar: string;
  stale: string;
}

function pct(v: unknown): string {
  return typeof v === "number" ? `${(v * 100).toFixed(1)}` : "-";
}

function interval(value: unknown, ci: unknown): string {
  if (typeof value !== "number") return "-";
  const c = Array.isArray(ci) ? ` [${pct(ci[0])}, ${pct(ci[1])}]` : "";
  return `${pct(value)}${c}`;
}

function rows(summary: AuditSummary, ks: readonly number[]): Row[] {
  return summary.probes.map((p) => {
    const g = p["greedy_accuracy"] as { value: number | null; ci: unknown };
    const pk = p["pass_at_k"] as Record<string, { value: number | null; ci: unknown }>;
    const d = p["drop"] as { drop: number | null; ci: unknown; mcnemar: { p_value: number } } | null;
    const s = p["stale"] as { rate: { value: number | null; ci: unknown }; baseline: number | null } | null;
    return {
      label: p.probe,
      units: String(p["units"]),
      greedy: interval(g.value, g.ci),
      pass: ks.map((k) => interval(pk[k]?.value, pk[k]?.ci)),
      drop: d ? interval(d.drop, d.ci) : "",
      mcnemar: d && d.drop !== null ? d.mcnemar.p_value.toPrecision(2) : "",
      stale: s ? `${interval(s.rate.value, s.rate.ci)} (chance ${pct(s.baseline)})` : "",
    };
  });
}

/** The k columns shown: the run's --k list, limited to k <= n. */
export function shownKs(summary: AuditSummary): number[] {
  const n = summary.manifest.config.decoding.n;
  return summary.manifest.config.ks.filter((k) => k <= n);
}

function header(ks: readonly number[]): string[] {
  return [
    "label",
    "prompts",
    "greedy % [95% CI]",
    ...ks.map((k) => `pass@${k} %`),
    "drop pts [CI]",
    "McNemar p",
    "stale % [CI] (chance)",
  ];
}

function cells(r: Row): string[] {
  return [r.label, r.units, r.greedy, ...r.pass, r.drop, r.mcnemar, r.stale];
}

function verdictLine(summary: AuditSummary): string {
  const v = summary.verdict_counts;
  const suspect = v["suspect"] ? `, suspect ${v["suspect"]}` : "";
  return `verdicts: memorized ${v["memorized"]}${suspect}, fragile ${v["fragile"]}, robust ${v["robust"]}, unsolved ${v["unsolved"]} (of ${summary.counts.problems} problems)`;
}

/** A plain-text table for the terminal (one screen: one row per probe). */
export function terminalTable(summary: AuditSummary): string {
  const ks = shownKs(summary);
  const table = [header(ks), ...rows(summary, ks).map(cells)];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const out = [line(table[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...table.slice(1).map(line)];
  const s = summary.stale as {
    rate: { value: number | null; ci: unknown };
    baseline: number | null;
    lift: number | null;
  };
  out.push("");
  out.push(
    `stale answers (all answer-changing probes): ${interval(s.rate.value, s.rate.ci)} %, chance ${pct(s.baseline)} %, lift ${s.lift === null ? "-" : s.lift.toFixed(2)}`,
  );
  out.push(verdictLine(summary));
  out.push(
    `${summary.counts.completions}/${summary.counts.expected_completions} completions, ${summary.counts.no_answer} without an answer; ${generationText(summary)}`,
  );
  const decoding = decodePathText(summary);
  if (decoding !== null) out.push(decoding);
  out.push(...instanceLines(summary));
  return `${out.join("\n")}\n`;
}

/**
 * With `--instances K`: per probe kind, the K instance sets' greedy accuracy (mean, sd, range)
 * beside the originals', and how the problems' own accuracies over their instances spread.
 */
export function instanceLines(summary: AuditSummary): string[] {
  const inst = summary.instances as
    | {
        requested: number;
        distributions: Array<{
          probe: string;
          kind: string;
          problems: number;
          full?: number;
          short: number;
          mean: number | null;
          sd: number | null;
          min: number | null;
          max: number | null;
          original: { accuracy: number };
          short_problems?: { accuracy: number | null; original: { problems: number; accuracy: number } };
        }>;
        problems: Array<{ probe: string; kind: string; accuracy: number }>;
      }
    | undefined;
  if (!inst) return [];
  const out = ["", `instance sets (--instances ${inst.requested}, greedy accuracy %):`];
  for (const d of inst.distributions) {
    const mine = inst.problems.filter((p) => p.probe === d.probe && p.kind === d.kind);
    const none = mine.filter((p) => p.accuracy === 0).length;
    const all = mine.filter((p) => p.accuracy === 1).length;
    const orNone = (v: number | null) => (v === null ? "-" : pct(v));
    const short = d.short_problems;
    const shortFigures =
      d.short > 0 && short
        ? `, ${orNone(short.accuracy)} of their instances right, originals ${short.original.problems > 0 ? pct(short.original.accuracy) : "-"}`
        : "";
    out.push(
      `  ${d.probe} ${d.kind}: over the ${d.full ?? d.problems} problems with all ${inst.requested}: mean ${orNone(d.mean)}, sd ${orNone(d.sd)}, range ${orNone(d.min)}-${orNone(d.max)}; originals ${pct(d.original.accuracy)}; ` +
        `${d.short} problems with fewer (left out of the sets${shortFigures}); per problem over its instances (all ${d.problems}), ${none} at 0%, ${all} at 100%, ${mine.length - none - all} between`,
    );
  }
  return out;
}

/**
 * How the completions ended and how long they ran: finish reasons, and the mean (and total)
 * tokens generated per completion, greedy and sampled apart (summaries written before litmus
 * counted tokens have only the finish reasons).
 */
export function generationText(summary: AuditSummary): string {
  const finish = Object.entries(summary.counts.finish_reasons)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ");
  const t = summary.counts.generated_tokens as AuditSummary["counts"]["generated_tokens"] | undefined;
  const part = (label: string, c: TokenCounts) =>
    c.mean === null ? [] : [`${label} ${c.mean.toFixed(1)} (${c.total} in all)`];
  const tokens = t ? [...part("greedy", t.greedy), ...part("sampled", t.sampled)] : [];
  return `finished by ${finish}${tokens.length > 0 ? `; tokens per completion: ${tokens.join(", ")}` : ""}`;
}

/** The in-process runner's decode path in words; null for a served model (or an older summary). */
export function decodePathText(summary: AuditSummary): string | null {
  const d = summary.decode_path as AuditSummary["decode_path"] | undefined;
  if (!d) return null;
  if (d.path === "slot-cache") return "decoded over a slot cache";
  if (d.path === "present-feedback")
    return `decoded with present.* fed back (${d.reason ?? "no reason given"})`;
  return `decoded both ways (resumed or merged): ${d.reason ?? ""}`;
}

/** The gates' verdict and table (nothing when no gate was set). */
function gatesMarkdown(gates: readonly GateResult[]): string[] {
  if (gates.length === 0) return [];
  const failed = gates.filter((g) => g.failed).length;
  const out = [
    failed === 0 ? `**All ${gates.length} gates passed.**` : `**${failed} of ${gates.length} gates failed.**`,
    "",
    "| gate | result | detail |",
    "| --- | --- | --- |",
  ];
  for (const g of gates) {
    out.push(`| ${markdownCode(g.name)} | ${g.failed ? "❌ fail" : "✅ pass"} | ${mdEscape(g.message)} |`);
  }
  out.push("");
  return out;
}

const mdEscape = markdownText;

/**
 * summary.md: GitHub-flavoured Markdown, ready for $GITHUB_STEP_SUMMARY, which shows no image from
 * the run folder (the HTML report is the artifact). With the report's job-summary Markdown: its
 * title (the model on the data set), the gates first, then the verdict and table.
 */
export function summaryMarkdown(
  summary: AuditSummary,
  gates: readonly GateResult[],
  report: { title: string; body: string } | null = null,
): string {
  if (report !== null) {
    const gateLines = gatesMarkdown(gates);
    return `## ${mdEscape(report.title)}\n\n${gateLines.length > 0 ? `${gateLines.join("\n")}\n` : ""}${report.body}`;
  }
  const ks = shownKs(summary);
  const c = summary.manifest.config;
  const out: string[] = [];
  out.push(`## litmus audit: ${mdEscape(c.dataset.name)}`);
  out.push("");
  out.push(
    `Model files: ${Object.keys(c.modelFiles).length} (${c.executionProvider}, onnxruntime ${c.onnxruntimeVersion}); ` +
      `probes: ${c.probes.join(", ")}; format ${markdownCode(c.promptFormat.name)}; n = ${c.decoding.n}, ` +
      `temperature ${c.decoding.temperature}, top-p ${c.decoding.topP}, max ${c.decoding.maxNewTokens} tokens; seed ${c.seeds.run}.`,
  );
  out.push("");
  out.push(...gatesMarkdown(gates));
  const h = header(ks);
  out.push(`| ${h.join(" | ")} |`);
  out.push(`| ${h.map(() => "---").join(" | ")} |`);
  for (const r of rows(summary, ks)) out.push(`| ${cells(r).map(mdEscape).join(" | ")} |`);
  out.push("");
  out.push(verdictLine(summary));
  out.push("");
  out.push(
    `Intervals: ${Math.round(summary.bootstrap.level * 100)}% (Wilson for proportions, bootstrap over problems with ` +
      `${summary.bootstrap.resamples} resamples for pass@k and drops). Drops are percentage points, original minus variant.`,
  );
  return `${out.join("\n")}\n`;
}

function xml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** Flat metrics that describe one label's results: one junit test case each. */
const PROBE_METRICS = /^(?:accuracy|pass@\d+|drop|mcnemar_p|stale_rate)\./;

/**
 * junit.xml: a test case per gate (a failed gate is a failed test case) and, in a second suite,
 * one per probe metric (accuracy, pass@k, drop, McNemar p, stale rate of each label, with its
 * interval where the summary has one), so a CI dashboard tracks them across checkpoints even
 * without gates.
 */
export function junitXml(gates: readonly GateResult[], summary: AuditSummary): string {
  const failures = gates.filter((g) => g.failed).length;
  const metrics = Object.keys(summary.metrics)
    .filter((name) => PROBE_METRICS.test(name))
    .sort();
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="litmus" tests="${gates.length + metrics.length}" failures="${failures}">`);
  out.push(
    `  <testsuite name="litmus.audit.gates" tests="${gates.length}" failures="${failures}" errors="0">`,
  );
  for (const g of gates) {
    const name = xml(g.name);
    if (g.failed) {
      out.push(`    <testcase classname="litmus.audit" name="${name}">`);
      out.push(`      <failure message="${xml(g.message)}">${xml(g.message)}</failure>`);
      out.push("    </testcase>");
    } else {
      out.push(
        `    <testcase classname="litmus.audit" name="${name}"><system-out>${xml(g.message)}</system-out></testcase>`,
      );
    }
  }
  out.push("  </testsuite>");
  out.push(`  <testsuite name="litmus.audit.metrics" tests="${metrics.length}" failures="0" errors="0">`);
  for (const name of metrics) {
    const [head, label] = [name.slice(0, name.indexOf(".")), name.slice(name.indexOf(".") + 1)];
    const low = summary.metrics[`${head === "stale_rate" ? "stale_ci_low" : "drop_ci_low"}.${label}`];
    const high = summary.metrics[`${head === "stale_rate" ? "stale_ci_high" : "drop_ci_high"}.${label}`];
    const value = summary.metrics[name] ?? null;
    const bounds =
      (head === "drop" || head === "stale_rate") && typeof low === "number" && typeof high === "number"
        ? ` [${fmt(low)}, ${fmt(high)}]`
        : "";
    out.push(
      `    <testcase classname="litmus.audit.metrics" name="${xml(name)}"><system-out>${xml(`${fmt(value)}${bounds}`)}</system-out></testcase>`,
    );
  }
  out.push("  </testsuite>");
  out.push("</testsuites>");
  return `${out.join("\n")}\n`;
}
