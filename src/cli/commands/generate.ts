import { readFileSync } from "node:fs";
import type { Argv } from "yargs";
import {
  type Device,
  describeDecodePath,
  type GenerateRequest,
  OnnxBackend,
  resolveConfig,
} from "../../runner/index.js";
import type { Progress } from "../../runner/types.js";
import { InputError, located } from "../../util/errors.js";
import { DEFAULT_SEED } from "../../util/rng.js";
import { unescapeFlagText } from "../escapes.js";
import { decodingOptions } from "./shared-options.js";
import type { CliCommand } from "./types.js";

/** Options shared by `generate` and `score`. */
export function modelOptions(y: Argv): Argv {
  return y
    .option("model", {
      type: "string",
      demandOption: true,
      describe: "Model directory (optimum ONNX export)",
    })
    .option("device", { choices: ["cpu", "cuda", "auto"], default: "cpu", describe: "Execution provider" })
    .option("threads", { type: "number", default: 0, describe: "CPU threads (0: ONNX Runtime's choice)" })
    .option("json", { type: "boolean", default: false, describe: "One JSON object per line" });
}

export async function openBackend(
  args: Record<string, unknown>,
  extra: { maxBatchRows?: number } = {},
): Promise<OnnxBackend> {
  const threads = Number(args["threads"] ?? 0);
  if (!Number.isInteger(threads) || threads < 0)
    throw new InputError(`--threads: must be an integer >= 0 (got ${args["threads"]})`);
  const backend = await OnnxBackend.open(String(args["model"]), {
    device: (args["device"] as Device | undefined) ?? "cpu",
    threads,
    ...extra,
  });
  if (backend.warning) process.stderr.write(`litmus: warning: ${backend.warning}\n`);
  if (args["verbose"] === true)
    process.stderr.write(
      `litmus: loaded ${backend.lm.dir} on ${backend.lm.device}: ${describeDecodePath(backend.decodePath)}\n`,
    );
  return backend;
}

/** Progress on stderr (only on a terminal), updated between model steps. */
export function progressPrinter(label: string): ((p: Progress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 200 && p.done < p.total) return;
    last = now;
    process.stderr.write(`\r${label}: ${p.phase} ${p.done}/${p.total}\x1b[K`);
  };
}

function readPrompts(file: string): GenerateRequest[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new InputError(located(file, undefined, `cannot read: ${(err as Error).message}`));
  }
  const out: GenerateRequest[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new InputError(located(file, i + 1, `invalid JSON: ${(err as Error).message}`));
    }
    const rec = value as { prompt?: unknown; id?: unknown };
    if (typeof rec?.prompt !== "string")
      throw new InputError(located(file, i + 1, 'expected {"prompt": "..."}'));
    out.push({ id: typeof rec.id === "string" ? rec.id : `${file}:${i + 1}`, prompt: rec.prompt });
  });
  if (out.length === 0) throw new InputError(located(file, undefined, "no prompts"));
  return out;
}

export const generateCommand: CliCommand = {
  command: "generate",
  describe: "Complete prompts with a local ONNX model",
  builder: (y) =>
    decodingOptions(modelOptions(y), { default: 0, describe: "Sampling temperature (0: greedy)" })
      .option("prompt", {
        type: "string",
        describe: "Prompt text (\\n, \\t and \\\\ are escapes, as in every text flag)",
      })
      .option("prompts", { type: "string", describe: 'JSONL file, one {"prompt": ...} a line' })
      .option("n", { type: "number", default: 1, describe: "Samples per prompt (share one prefill)" })
      .option("stop", {
        type: "string",
        array: true,
        default: [],
        describe: 'Stop strings, e.g. "\\nQuestion:"',
      })
      .option("seed", {
        type: "number",
        default: DEFAULT_SEED,
        describe: "Seed of the samples (sample j of prompt ID draws from a seed derived from it, ID and j)",
      })
      .option("batch-size", { type: "number", default: 16, describe: "Rows (prompts x n) decoded together" })
      .conflicts("prompt", "prompts")
      .check((a) => {
        if (a["prompt"] === undefined && a["prompts"] === undefined)
          throw new InputError("give --prompt or --prompts");
        return true;
      }),
  run: async (args) => {
    const requests: GenerateRequest[] =
      args["prompts"] !== undefined
        ? readPrompts(String(args["prompts"]))
        : [{ id: "prompt", prompt: unescapeFlagText(String(args["prompt"])) }];
    const stop = (args["stop"] as string[]).map(unescapeFlagText);
    const config = resolveConfig({
      n: Number(args["n"]),
      temperature: Number(args["temperature"]),
      topP: Number(args["top-p"]),
      topK: Number(args["top-k"]),
      maxNewTokens: Number(args["max-new-tokens"]),
      stop,
      seed: Number(args["seed"]),
    });
    const batch = Number(args["batch-size"]);
    if (!Number.isInteger(batch) || batch < 1)
      throw new InputError(`--batch-size: must be a positive integer`);
    const backend = await openBackend(args, { maxBatchRows: batch });
    try {
      const onProgress = progressPrinter("generate");
      const completions = await backend.generate(requests, config, onProgress ? { onProgress } : {});
      if (onProgress) process.stderr.write("\r\x1b[K");
      const json = Boolean(args["json"]);
      for (const c of completions) {
        if (json) {
          process.stdout.write(
            `${JSON.stringify({
              id: c.requestId,
              sample: c.sampleIndex,
              text: c.text,
              token_ids: c.tokenIds,
              logprobs: c.logprobs,
              finish_reason: c.finishReason,
              prompt_tokens: c.promptTokens,
              seed: c.seed,
            })}\n`,
          );
        } else if (completions.length === 1) {
          process.stdout.write(`${c.text}\n`);
        } else {
          process.stdout.write(`--- ${c.requestId} #${c.sampleIndex} (${c.finishReason})\n${c.text}\n`);
        }
      }
      return 0;
    } finally {
      await backend.close();
    }
  },
};
