/**
 * Records of the audit orchestration. The pipeline records themselves (requests, completions,
 * RunConfig) live in src/types/audit.ts; these are the audit's own additions.
 */
import type { OpenAIApi } from "../openai/chat.js";
import type { ChatTemplateChoice } from "../prompts/chat-template.js";
import type { CodeProgramRule, RunConfig } from "../types/audit.js";

/** A deterministic slice of the selected problems: 1-based `index` of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/**
 * The stored configuration of an audit: RunConfig plus what else determines its results (probe
 * parameters, extraction pipeline, summary settings). The store compares it as canonical JSON, so
 * every field here is part of the run's identity and a resume with any difference is refused.
 */
export interface AuditRunConfig extends RunConfig {
  /** Parameters each probe was built with, by probe name, so the probes can be rebuilt exactly. */
  probeParams: Record<string, Record<string, unknown>>;
  /**
   * `codeProgram`: for a `code` format prompted as a chat, how its programs were read from the
   * replies (`chat-reply`); absent for a code format's completions (`completion-body`) and for
   * text formats, so their run identities are as before.
   */
  extraction: { pipeline: string; codeProgram?: CodeProgramRule };
  /**
   * Whether the contamination detectors ran and the exchangeability test's budget: they change the
   * verdicts (`suspect`), so a resumed run must not add or drop them silently.
   */
  detectors: { enabled: boolean; budget: number };
  summary: {
    resamples: number;
    level: number;
    thresholds: { solvedMinAccuracy: number; memorizedMinStaleShare: number; variantFailBelow: number };
  };
}

/** How to reach a model served over the OpenAI completions API (`--backend openai`). */
export interface OpenAIEndpointOptions {
  /** Base URL up to and including /v1. */
  endpoint: string;
  modelName: string;
  /** Name of the environment variable holding the API key (the key itself is never stored). */
  apiKeyEnv?: string;
  concurrency: number;
  /** Per-request limit, seconds. */
  timeoutS: number;
  retries: number;
  /** Text standing for the bos token before a text scored alone (see src/openai/README.md). */
  bosText: string;
  /** `chat`: generations go through `/v1/chat/completions` as the format's chat form (default completions). */
  api?: OpenAIApi;
  /** Most bytes of one reply read; a completion cut there finishes `truncated`. Absent: 1 MiB. */
  maxCompletionBytes?: number;
}

/** What `litmus audit` was asked to do, validated at the CLI boundary. */
export interface AuditOptions {
  /** A model directory, or for `--backend openai` the label `openai:NAME`. */
  model: string;
  /** Set for `--backend openai`; absent: the in-process ONNX runner on `model`. */
  openai?: OpenAIEndpointOptions;
  dataset: string;
  split?: string;
  probes: string;
  /**
   * `--instances K`: distinct number instantiations per problem from each answer-changing probe
   * (recorded in `probeParams`); absent or 1: one, as always.
   */
  instances?: number;
  /** A built-in prompt format name or a template file. */
  format: string;
  /**
   * The local model's chat template (`--chat-template`, default `auto`: its own when it has one);
   * the format's chat form rendered through it is the prompt. Not for a served model.
   */
  chatTemplate?: ChatTemplateChoice;
  /** A local copy of GSM8K's train split for the few-shot formats' exemplars (offline). */
  exemplars?: string;
  n: number;
  ks: number[];
  temperature: number;
  topP: number;
  topK: number;
  maxNewTokens: number;
  /** Seed of the samples (sample j of a request draws from deriveSeed(seed, request id, j)). */
  seed: number;
  /** Seed of the probes' variants (default DEFAULT_SEED): samples can be redrawn with variants fixed. */
  probeSeed?: number;
  /** Seed of the bootstrap intervals and the detectors' permutations (default DEFAULT_SEED). */
  bootstrapSeed?: number;
  limit?: number;
  idsFile?: string;
  shard?: Shard;
  /** Leave out problems with a prompt longer than the context window (else: exit 2 at plan time). */
  skipTooLong?: boolean;
  out: string;
  /**
   * The run folder is a scratch folder (the embedded default's `reports/latest`): a run of another
   * configuration there is replaced instead of refused.
   */
  replaceDifferentRun?: boolean;
  device: "cpu" | "cuda" | "auto";
  threads: number;
  /** Most rows (prompts x samples) decoded together. */
  batchSize: number;
  resamples: number;
  level: number;
  thresholds: AuditRunConfig["summary"]["thresholds"];
  pipeline: string;
  /**
   * Compute the contamination detectors (likelihood scores with the model, CDD, and with a budget
   * the exchangeability test) into summary.json. They change no completion, so they are not part
   * of the run's configuration; `litmus merge` does not recompute them.
   */
  detectors?: boolean;
  /** Forward passes for the exchangeability test (0 skips it). */
  budget?: number;
}

/** Counts of a run's work, for progress and the end-of-run message. */
export interface RunCounts {
  problems: number;
  variants: number;
  requests: number;
  /** Completions the run needs in all (greedy + samples). */
  completions: number;
}
