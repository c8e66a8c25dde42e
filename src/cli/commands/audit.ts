import { join, resolve } from "node:path";
import type { Argv } from "yargs";
import { openAuditBackend } from "../../audit/backends.js";
import { type AuditDeps, DEFAULT_SUMMARY_SETTINGS, runAudit } from "../../audit/run.js";
import { parseShard } from "../../audit/selection.js";
import type { AuditOptions, OpenAIEndpointOptions } from "../../audit/types.js";
import { writeFileAtomic } from "../../data/index.js";
import { CANARY_MODEL_DIR } from "../../data/litmus-mini.js";
import { DEFAULT_PIPELINE, pipelineByName } from "../../extract/index.js";
import { checkThresholds, DEFAULT_THRESHOLDS } from "../../metrics/index.js";
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_REPLY_BYTES, DEFAULT_RETRY } from "../../openai/index.js";
import { DEFAULT_PROBES, KNOWN_PROBES, MAX_INSTANCES } from "../../probes/registry.js";
import { parseChatTemplateChoice } from "../../prompts/index.js";
import { InputError } from "../../util/errors.js";
import { DEFAULT_SEED } from "../../util/rng.js";
import { LITMUS_VERSION } from "../../util/version.js";
import { configFileText, type FlagType } from "../config-file.js";
import { unescapeFlagText } from "../escapes.js";
import { EXIT } from "../run.js";
import {
  configOption,
  declaredFlags,
  decodingOptions,
  gateOptions,
  runnerOptions,
  settingsOf,
} from "./shared-options.js";
import type { CliCommand } from "./types.js";

const DEFAULT_KS = [1, 5, 10];

/** The file in the run folder holding the settings of the run, in `--config` form. */
export const SETTINGS_FILE = "litmus.yaml";

/** The audit's flags and their types, read from its builder (for `--config` and SETTINGS_FILE). */
let auditFlags = new Map<string, FlagType>();

/** `litmus audit` with no --model: the canary on litmus-mini, greedy + 3 samples, with detectors. */
export const EMBEDDED_DEFAULT = { dataset: "litmus-mini", out: "reports/latest", n: 3, detectors: true };

/** `litmus audit`: probes x samples through a model into a resumable run folder, with CI gates. */
export const auditCommand: CliCommand = {
  command: "audit",
  describe: "Audit a model: originals and probe variants, greedy and sampled, into a resumable run folder",
  builder: (y: Argv) => {
    const built = gateOptions(
      decodingOptions(runnerOptions(y), {
        default: 0.8,
        describe: "Temperature of the n samples (the greedy completion is always made too)",
      }),
    )
      .option("model", {
        type: "string",
        describe: "Model directory (optimum ONNX export); none: the embedded default (canary on litmus-mini)",
      })
      .option("dataset", {
        type: "string",
        describe: "gsm8k, litmus-mini, or a GSM8K-format JSONL file (required with --model)",
      })
      .option("split", { type: "string", describe: "Split of a named data set (gsm8k: test or train)" })
      .option("probes", {
        type: "string",
        default: DEFAULT_PROBES,
        describe: `Comma-separated probe names (known: ${KNOWN_PROBES})`,
      })
      .option("instances", {
        type: "number",
        default: 1,
        describe: `Distinct number instantiations per problem from each answer-changing probe, GSM-Symbolic style (1 to ${MAX_INSTANCES})`,
      })
      .option("format", {
        type: "string",
        default: "qa",
        describe:
          "Prompt format: qa, gsm8k-5shot, cot-8shot, code (program of thought), or a template file (see src/prompts/README.md)",
      })
      .option("exemplars", {
        type: "string",
        describe:
          "GSM8K's train split as a local file, for the exemplars of gsm8k-5shot and train-line templates (no download)",
      })
      .option("prompt-template", {
        type: "string",
        describe: "Template file (same as --format FILE; overrides --format)",
      })
      .option("n", {
        type: "number",
        describe: "Sampled completions per prompt (0: greedy only; default 10, embedded default 3)",
      })
      .option("k", {
        type: "string",
        describe: "pass@k columns shown, e.g. 1,5,10 (each <= n; default: those of 1,5,10 <= n)",
      })
      .option("seed", {
        type: "number",
        default: DEFAULT_SEED,
        describe: "Seed of the samples (change it to redraw samples with the variants fixed)",
      })
      .option("probe-seed", {
        type: "number",
        default: DEFAULT_SEED,
        describe: "Seed of the probes' variants (a variant id always names the same question)",
      })
      .option("bootstrap-seed", {
        type: "number",
        default: DEFAULT_SEED,
        describe: "Seed of the bootstrap intervals and the detectors' permutations",
      })
      .option("limit", { type: "number", describe: "Only the first N problems" })
      .option("ids", { type: "string", describe: "File of problem ids, one per line" })
      .option("shard", {
        type: "string",
        describe: "Run shard i of m (i/m, 1-based) of the selected problems",
      })
      .option("skip-too-long", {
        type: "boolean",
        default: false,
        describe:
          "Leave out (and count) problems with a prompt longer than the model's context window; without it such a prompt stops the audit before any generation (exit 2)",
      })
      .option("out", {
        type: "string",
        describe: "Run folder (created; resumed when it holds this run); embedded default: reports/latest",
      })
      .option("backend", {
        choices: ["onnx", "openai"],
        default: "onnx",
        describe: "onnx: run --model in-process; openai: a model served over the OpenAI completions API",
      })
      .option("endpoint", { type: "string", describe: "With --backend openai: base URL up to /v1" })
      .option("model-name", { type: "string", describe: "With --backend openai: the served model's name" })
      .option("api-key-env", {
        type: "string",
        describe: "With --backend openai: environment variable holding the API key",
      })
      .option("concurrency", {
        type: "number",
        default: DEFAULT_CONCURRENCY,
        describe: "With --backend openai: requests in flight",
      })
      .option("request-timeout", {
        type: "number",
        default: DEFAULT_RETRY.timeoutMs / 1000,
        describe: "With --backend openai: seconds per request before it is retried",
      })
      .option("retries", {
        type: "number",
        default: DEFAULT_RETRY.retries,
        describe: "With --backend openai: retries of a request on 429/5xx/timeouts (exponential backoff)",
      })
      .option("max-completion-bytes", {
        type: "number",
        default: DEFAULT_MAX_REPLY_BYTES,
        describe:
          "With --backend openai: most bytes of one reply read; a completion past it keeps its text up to the cut and finishes 'truncated'",
      })
      .option("bos-text", {
        type: "string",
        default: "",
        describe:
          "With --backend openai: text standing for the bos token when scoring (phi-1.5: <|endoftext|>)",
      })
      .option("api", {
        choices: ["completions", "chat"],
        describe:
          "With --backend openai: /v1/completions (default) or /v1/chat/completions with the format's chat form",
      })
      .option("chat-template", {
        type: "string",
        describe:
          "Local model: auto (default: the model's own chat template, if it has one), none, or a Jinja file; the format's chat form rendered by it is the prompt",
      })
      .option("quiet", {
        type: "boolean",
        default: false,
        describe: "No progress (a redrawn line on a terminal, a line every 30 s and per phase in a log)",
      })
      .option("resamples", {
        type: "number",
        default: DEFAULT_SUMMARY_SETTINGS.resamples,
        describe: "Bootstrap resamples",
      })
      .option("detectors", {
        type: "boolean",
        default: false,
        describe: "Also compute the contamination detectors (Min-K%, Min-K%++, zlib, neighbourhood gap, CDD)",
      })
      .option("budget", {
        type: "number",
        default: 0,
        describe: "With --detectors: forward passes for the exchangeability test (0 skips it)",
      })
      .option("level", {
        type: "number",
        default: DEFAULT_SUMMARY_SETTINGS.level,
        describe: "Interval level",
      })
      .option("pipeline", {
        type: "string",
        default: DEFAULT_PIPELINE,
        describe: "Answer extraction pipeline",
      })
      .option("solved-min-accuracy", {
        type: "number",
        default: DEFAULT_THRESHOLDS.solvedMinAccuracy,
        describe: "Verdicts: a problem is solved when its original's accuracy reaches this",
      })
      .option("memorized-min-stale-share", {
        type: "number",
        default: DEFAULT_THRESHOLDS.memorizedMinStaleShare,
        describe: "Verdicts: memorized when this share of its answer-changing completions are stale",
      })
      .option("variant-fail-below", {
        type: "number",
        default: DEFAULT_THRESHOLDS.variantFailBelow,
        describe: "Verdicts: fragile when an answer-preserving variant's accuracy is below this",
      })
      .conflicts("limit", "ids");
    auditFlags = declaredFlags(built);
    return configOption(built);
  },
  run: async (args) => {
    const options = auditOptions(args);
    const quiet = Boolean(args["quiet"]);
    const deps: AuditDeps = {
      openBackend: (o) =>
        openAuditBackend(o, (line) => void process.stderr.write(line), { verbose: args["verbose"] === true }),
      progress: quiet ? null : { sink: process.stderr, mode: process.stderr.isTTY ? "terminal" : "log" },
      log: (text) => void process.stderr.write(text),
      print: (text) => void process.stdout.write(text),
    };
    const result = await runAudit(
      options,
      {
        failOn: (args["fail-on"] as string[] | undefined) ?? [],
        ...(args["baseline"] === undefined ? {} : { baseline: String(args["baseline"]) }),
        baselineAlpha: number(args["baseline-alpha"], "--baseline-alpha", 0, 1),
        baselineAllowPartial: args["baseline-allow-partial"] === true,
      },
      deps,
    );
    // The settings this run used, as a file `--config` reads back: the run folder says how it was made.
    await writeFileAtomic(
      join(options.out, SETTINGS_FILE),
      new TextEncoder().encode(
        configFileText(
          settingsOf(args, auditFlags),
          `litmus audit settings of this run (litmus ${LITMUS_VERSION}); rerun or resume with:\n  litmus audit --config ${resolve(options.out, SETTINGS_FILE)}`,
        ),
      ),
    );
    const failed = result.gates.filter((g) => g.failed);
    for (const g of result.gates)
      process.stdout.write(`gate ${g.failed ? "FAIL" : "pass"}  ${g.name}: ${g.message}\n`);
    process.stdout.write(`report: ${join(options.out, "report.html")}\n`);
    return failed.length > 0 ? EXIT.gateFailed : EXIT.ok;
  },
};

function integer(value: unknown, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InputError(`${flag} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return n;
}

function number(value: unknown, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new InputError(`${flag} must be a number from ${min} to ${max}, got ${String(value)}`);
  }
  return n;
}

/** Validates the flags into AuditOptions; every problem is an InputError (exit 2). */
export function auditOptions(args: Record<string, unknown>): AuditOptions {
  const openai = openaiOptions(args);
  const embedded = args["model"] === undefined && openai === undefined;
  if (embedded && args["dataset"] !== undefined)
    throw new InputError(
      "--dataset needs --model (without --model, litmus audits its canary on litmus-mini)",
    );
  const what = openai ? "--backend openai" : "--model";
  if (!embedded && args["dataset"] === undefined) throw new InputError(`${what} needs --dataset`);
  if (!embedded && args["out"] === undefined) throw new InputError(`--out is required with ${what}`);
  const n = integer(args["n"] ?? (embedded ? EMBEDDED_DEFAULT.n : 10), "--n", 0, 100_000);
  let ks: number[];
  if (args["k"] === undefined) ks = DEFAULT_KS.filter((k) => k <= n);
  else {
    ks = String(args["k"])
      .split(",")
      .filter((s) => s.trim() !== "")
      .map((s) => integer(s.trim(), "--k", 1, 100_000));
    const tooBig = ks.find((k) => k > n);
    if (tooBig !== undefined) throw new InputError(`--k ${tooBig} is more than --n ${n} samples`);
    ks = [...new Set(ks)].sort((a, b) => a - b);
  }
  const thresholds = {
    solvedMinAccuracy: Number(args["solved-min-accuracy"]),
    memorizedMinStaleShare: Number(args["memorized-min-stale-share"]),
    variantFailBelow: Number(args["variant-fail-below"]),
  };
  const bad = checkThresholds(thresholds);
  if (bad) throw new InputError(`verdict thresholds: ${bad}`);
  const pipeline = String(args["pipeline"]);
  try {
    pipelineByName(pipeline);
  } catch (err) {
    throw new InputError(`--pipeline: ${(err as Error).message}`);
  }
  const temperature = number(args["temperature"], "--temperature", 0, 100);
  if (n > 0 && temperature === 0)
    throw new InputError(
      "--temperature 0 with --n > 0: the samples would all equal the greedy completion; use --n 0",
    );
  const options: AuditOptions = {
    model: openai ? `openai:${openai.modelName}` : embedded ? CANARY_MODEL_DIR : String(args["model"]),
    ...(openai ? { openai } : {}),
    dataset: embedded ? EMBEDDED_DEFAULT.dataset : String(args["dataset"]),
    probes: String(args["probes"]),
    instances: integer(args["instances"], "--instances", 1, MAX_INSTANCES),
    format: String(args["prompt-template"] ?? args["format"]),
    n,
    ks,
    temperature,
    topP: number(args["top-p"], "--top-p", Number.MIN_VALUE, 1),
    topK: integer(args["top-k"], "--top-k", 0, 1_000_000),
    maxNewTokens: integer(args["max-new-tokens"], "--max-new-tokens", 1, 1_000_000),
    seed: integer(args["seed"], "--seed", 0, 0xffffffff),
    probeSeed: integer(args["probe-seed"], "--probe-seed", 0, 0xffffffff),
    bootstrapSeed: integer(args["bootstrap-seed"], "--bootstrap-seed", 0, 0xffffffff),
    out: String(args["out"] ?? EMBEDDED_DEFAULT.out),
    device: args["device"] as AuditOptions["device"],
    threads: integer(args["threads"], "--threads", 0, 1024),
    batchSize: integer(args["batch-size"], "--batch-size", 1, 1_000_000),
    resamples: integer(args["resamples"], "--resamples", 1, 10_000_000),
    level: number(args["level"], "--level", 0.5, 0.9999),
    thresholds,
    pipeline,
    detectors: Boolean(args["detectors"]) || embedded,
    budget: integer(args["budget"], "--budget", 0, 100_000_000),
  };
  if (args["split"] !== undefined) options.split = String(args["split"]);
  if (args["limit"] !== undefined)
    options.limit = integer(args["limit"], "--limit", 1, Number.MAX_SAFE_INTEGER);
  if (args["ids"] !== undefined) options.idsFile = String(args["ids"]);
  if (args["shard"] !== undefined) options.shard = parseShard(String(args["shard"]));
  if (args["skip-too-long"] === true) options.skipTooLong = true;
  if (args["exemplars"] !== undefined) options.exemplars = String(args["exemplars"]);
  if (args["chat-template"] !== undefined)
    options.chatTemplate = parseChatTemplateChoice(String(args["chat-template"]));
  // `litmus audit` with no arguments writes its own scratch folder: an older run there (another
  // litmus version, other settings) is replaced, so the README's command always works.
  if (embedded && args["out"] === undefined) options.replaceDifferentRun = true;
  return options;
}

/** The --backend openai flags, checked; undefined for the in-process backend. */
function openaiOptions(args: Record<string, unknown>): OpenAIEndpointOptions | undefined {
  if (args["backend"] !== "openai") {
    for (const flag of ["endpoint", "model-name", "api-key-env", "api"])
      if (args[flag] !== undefined) throw new InputError(`--${flag} needs --backend openai`);
    return undefined;
  }
  if (args["model"] !== undefined)
    throw new InputError(
      "--backend openai audits a served model: give --endpoint and --model-name, not --model",
    );
  if (args["endpoint"] === undefined)
    throw new InputError("--backend openai needs --endpoint URL (up to /v1)");
  if (args["model-name"] === undefined) throw new InputError("--backend openai needs --model-name NAME");
  const endpoint = String(args["endpoint"]);
  if (!/^https?:\/\/[^/]+/.test(endpoint))
    throw new InputError(`--endpoint must be an http(s) URL up to /v1, got ${endpoint}`);
  const out: OpenAIEndpointOptions = {
    endpoint,
    modelName: String(args["model-name"]),
    concurrency: integer(args["concurrency"], "--concurrency", 1, 4096),
    timeoutS: number(args["request-timeout"], "--request-timeout", 0.001, 86_400),
    retries: integer(args["retries"], "--retries", 0, 100),
    bosText: unescapeFlagText(String(args["bos-text"] ?? "")),
    ...(args["api"] === "chat" ? { api: "chat" as const } : {}),
    maxCompletionBytes: integer(
      args["max-completion-bytes"] ?? DEFAULT_MAX_REPLY_BYTES,
      "--max-completion-bytes",
      1024,
      2 ** 31,
    ),
  };
  if (args["api-key-env"] !== undefined) {
    const name = String(args["api-key-env"]);
    if (!process.env[name]) throw new InputError(`--api-key-env ${name}: the variable is not set`);
    out.apiKeyEnv = name;
  }
  return out;
}
