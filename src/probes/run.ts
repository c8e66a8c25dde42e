import { sha256Hex } from "../data/hash.js";
import { analyzeProblem, Rational } from "../perturb/index.js";
import type { Problem, Variant } from "../types/index.js";
import { createRng, deriveSeed } from "../util/rng.js";
import { canonicalAnswer } from "./answer.js";
import type { Probe, ProbeContext, ProbeOutcome } from "./types.js";

/** Coverage of one probe. `reasons` counts the problems it made no variant for, by reason code. */
export interface ProbeStats {
  problems_with_variant: number;
  variants: number;
  reasons: Record<string, number>;
  /** Variants dropped because their expected answer was no number or contradicted the probe (a probe bug). */
  guarded: number;
  /**
   * Candidate edits tried and refused, by reason code: a problem may try many values before one
   * passes, so these count attempts, not problems. The plausibility guards' codes
   * (`negative_value`, `part_exceeds_whole`, `age_out_of_range`, ...) are counted here.
   */
  refused_candidates: Record<string, number>;
  /**
   * With `--instances K` (an answer-changing probe built with `instances` above 1): `requested` K,
   * how many problems got all K instances of every kind they have (`full`), how many got some but
   * fewer (`short`: the problem does not allow K distinct sensible instantiations), and the
   * instances made in all. Absent otherwise.
   */
  instances?: { requested: number; full: number; short: number; made: number };
}

/** The summary `litmus perturb --stats` prints; `reasons` counts why problems could not be lifted. */
export interface PerturbStats {
  problems: number;
  identity_ok: number;
  probes: Record<string, ProbeStats>;
  reasons: Record<string, number>;
}

/** A probe that threw on a problem; counted as reason `probe_error` and reported, never fatal. */
export interface ProbeError {
  problemId: string;
  probe: string;
  message: string;
}

export interface ProbeRun {
  variants: Variant[];
  stats: PerturbStats;
  errors: ProbeError[];
}

/**
 * Runs every probe on every problem. Each probe gets its own generator per problem, seeded from
 * the run seed, the probe name and the problem id, so a variant depends on nothing else: adding a
 * probe or a problem, or reordering them, leaves the other variants exactly as they were.
 * `context` names the prompt format, for probes that change the prompt around the question.
 */
export function runProbes(
  problems: readonly Problem[],
  probes: readonly Probe[],
  seed: number,
  context: ProbeContext = {},
): ProbeRun {
  const variants: Variant[] = [];
  const errors: ProbeError[] = [];
  const liftReasons: Record<string, number> = {};
  const probeStats = new Map<string, ProbeStats>(
    probes.map((p) => {
      const requested = Number(p.params["instances"] ?? 1);
      const stats: ProbeStats = {
        problems_with_variant: 0,
        variants: 0,
        reasons: {},
        guarded: 0,
        refused_candidates: {},
      };
      if (requested > 1) stats.instances = { requested, full: 0, short: 0, made: 0 };
      return [p.name, stats];
    }),
  );
  let identityOk = 0;
  for (const problem of problems) {
    const analyzed = analyzeProblem(problem);
    if (analyzed.lift.ok) identityOk++;
    else bump(liftReasons, analyzed.lift.reason);
    const original = canonicalAnswer(problem.finalAnswer);
    for (const probe of probes) {
      const stats = probeStats.get(probe.name) as ProbeStats;
      const probeSeed = deriveSeed(seed, probe.name, problem.id);
      let outcome: ProbeOutcome;
      try {
        outcome =
          original === null
            ? { variants: [], reason: "unparseable_answer" }
            : probe.apply(analyzed, createRng(probeSeed), context);
      } catch (err) {
        errors.push({
          problemId: problem.id,
          probe: probe.name,
          message: (err as Error).message ?? String(err),
        });
        outcome = { variants: [], reason: "probe_error" };
      }
      for (const [code, n] of Object.entries(outcome.refused ?? {})) {
        stats.refused_candidates[code] = (stats.refused_candidates[code] ?? 0) + n;
      }
      const made = toVariants(problem, probe, outcome, original as string, probeSeed);
      stats.guarded += outcome.variants.length - made.length;
      if (stats.instances && made.length > 0) countInstances(stats.instances, made);
      if (made.length > 0) {
        stats.problems_with_variant++;
        stats.variants += made.length;
        variants.push(...made);
      } else {
        bump(
          stats.reasons,
          outcome.variants.length > 0 ? "guard_rejected" : (outcome.reason ?? "no_variant"),
        );
      }
    }
  }
  const probesOut: Record<string, ProbeStats> = {};
  for (const [name, stats] of probeStats)
    probesOut[name] = {
      ...stats,
      reasons: sortKeys(stats.reasons),
      refused_candidates: sortKeys(stats.refused_candidates),
    };
  return {
    variants,
    stats: {
      problems: problems.length,
      identity_ok: identityOk,
      probes: probesOut,
      reasons: sortKeys(liftReasons),
    },
    errors,
  };
}

/**
 * Turns a probe's outcome into Variant records. A variant whose answer does not match what its
 * probe promises (changed for number swaps, kept for reformatting) is dropped: one wrong expected
 * answer would poison every figure computed from the run.
 */
function toVariants(
  problem: Problem,
  probe: Probe,
  outcome: ProbeOutcome,
  original: string,
  seed: number,
): Variant[] {
  const seen = new Set<string>();
  const out: Variant[] = [];
  const originalValue = Rational.parse(original);
  for (const v of outcome.variants) {
    // Exact values, so `18` and `18.0` from two code paths can never count as different answers.
    const expected = Rational.parse(v.expected);
    if (!expected || !originalValue) continue;
    const answerChanged = !expected.equals(originalValue);
    if (answerChanged !== probe.changesAnswer) continue;
    // Content-addressed: the same id always means the same question, whatever seed made it, so
    // samples keyed by it are the same draws and two runs pair their variants by id.
    const id = `${problem.id}/${probe.name}/${v.kind}/${sha256Hex(v.question).slice(0, 10)}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({
      id,
      problemId: problem.id,
      probe: probe.name,
      kind: v.kind,
      question: v.question,
      edits: v.edits,
      expected: v.expected,
      originalAnswer: original,
      solution: v.solution,
      answerChanged,
      ...(v.wrapper ? { wrapper: v.wrapper } : {}),
      seed,
      ...(v.instance === undefined ? {} : { instance: v.instance }),
    });
  }
  return out;
}

/**
 * Counts one problem's instances: full when every kind the probe made for it reached K. A variant
 * dropped by the guard leaves its kind short, which is counted, never hidden.
 */
function countInstances(counts: NonNullable<ProbeStats["instances"]>, made: readonly Variant[]): void {
  const perKind = new Map<string, number>();
  for (const v of made) perKind.set(v.kind, (perKind.get(v.kind) ?? 0) + 1);
  counts.made += made.length;
  if ([...perKind.values()].every((n) => n >= counts.requested)) counts.full++;
  else counts.short++;
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function sortKeys(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
