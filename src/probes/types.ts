import type { AnalyzedProblem } from "../perturb/index.js";
import type { QuestionWrapper, WrapperEdit } from "../types/index.js";
import type { Rng } from "../util/rng.js";

/** A variant as a probe makes it; the runner of probes adds ids, the problem id and the seed. */
export interface ProbeVariant {
  kind: string;
  question: string;
  edits: Array<{ start: number; end: number; before: string; after: string }>;
  /** Canonical decimal text of the expected answer. */
  expected: string;
  solution: string;
  /**
   * With `--instances K` (an answer-changing probe's `instances` parameter above 1): which of the K
   * number instantiations of the problem this is, from 1, in the order the seeded search found them.
   * Absent otherwise.
   */
  instance?: number;
  /** A change of the prompt's text around the question instead of the question (see Variant.wrapper). */
  wrapper?: WrapperEdit[];
}

/**
 * What probes may know beyond the problem: the prompt format the variants will be asked in (its
 * text around the question), for probes that change that text. Absent (`litmus perturb` run as a
 * library without a format), such probes refuse.
 */
export interface ProbeContext {
  /**
   * The format the prompts are rendered in. `chat` is set when they go out as chat messages (a chat
   * API or a chat template): the format's text wrapper is then not what the model sees.
   */
  promptFormat?: { name: string; wrapper: QuestionWrapper | null; chat?: boolean };
}

/** What a probe made of one problem: variants, or the reason it made none. */
export interface ProbeOutcome {
  variants: ProbeVariant[];
  /** Stable reason code when `variants` is empty. */
  reason?: string;
  /** Candidate edits the probe tried and refused, by reason code (plausibility guards included). */
  refused?: Record<string, number>;
}

/**
 * A probe: a pure function of the analysed problem and a seeded generator. The same seed gives the
 * same variants.
 */
export interface Probe {
  name: string;
  /** Whether the probe's variants have a different correct answer than the original. */
  changesAnswer: boolean;
  /** The parameters it was built with, recorded in runs so the probe can be rebuilt exactly. */
  params: Record<string, unknown>;
  apply(problem: AnalyzedProblem, rng: Rng, context?: ProbeContext): ProbeOutcome;
}

/** Builds a probe from parameters. */
export type ProbeFactory = (params?: Record<string, unknown>) => Probe;
