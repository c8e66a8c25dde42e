/** The {@link Backend} over a local ONNX model directory. */

import { resolveConfig } from "./config.js";
import { generateBatch } from "./generate.js";
import { CausalLM, type OpenOptions } from "./model.js";
import { PrefixCache, sharedPrefixText } from "./prefix-cache.js";
import { scoreBatch } from "./score.js";
import type {
  Backend,
  Completion,
  DecodePath,
  GenerateRequest,
  GenerationConfig,
  PromptFit,
  RunOptions,
  ScoreRequest,
  ScoreResult,
} from "./types.js";

export interface OnnxBackendOptions extends OpenOptions {
  /** Most rows (prompts x samples) decoded together; prompts are grouped up to it. */
  maxBatchRows?: number;
  /** Most texts scored together. */
  scoreBatchSize?: number;
  maxLogitsBytes?: number;
  /**
   * false: prefill every prompt whole, ignoring `sharedPrefix` (the benchmark's baseline). Default
   * true, or false when the environment has LITMUS_SHARED_PREFIX=0 (a switch for any command).
   */
  sharedPrefixes?: boolean;
}

export class OnnxBackend implements Backend {
  /** Few-shot exemplar blocks, prefilled once per run (see prefix-cache.ts). */
  readonly prefixes: PrefixCache;
  private readonly sharedPrefixes: boolean;

  private constructor(
    readonly lm: CausalLM,
    private readonly options: OnnxBackendOptions,
  ) {
    this.prefixes = new PrefixCache(2, options.maxLogitsBytes);
    this.sharedPrefixes = options.sharedPrefixes ?? process.env["LITMUS_SHARED_PREFIX"] !== "0";
  }

  static async open(dir: string, options: OnnxBackendOptions = {}): Promise<OnnxBackend> {
    return new OnnxBackend(await CausalLM.open(dir, options), options);
  }

  get id(): string {
    return `onnx:${this.lm.dir}@${this.lm.device}`;
  }

  /** Tokenizes as generation does (an empty prompt is the bos token alone). */
  async promptFits(prompts: readonly string[]): Promise<PromptFit[]> {
    return prompts.map((prompt) => ({
      tokens: Math.max(this.lm.tokenizer.encode(prompt).length, 1),
      maxContext: this.lm.maxContext,
    }));
  }

  /** The slot cache, or `present.*` fed back (and why). */
  get decodePath(): DecodePath {
    return this.lm.decodePath;
  }

  /** Set when `--device auto` fell back to the CPU, or the slot cache was turned off. */
  get warning(): string | undefined {
    return this.lm.warning;
  }

  async generate(
    requests: GenerateRequest[],
    config: Partial<GenerationConfig> = {},
    options: RunOptions = {},
  ): Promise<Completion[]> {
    const maxRows = this.options.maxBatchRows ?? 16;
    const out: Completion[] = [];
    let group: GenerateRequest[] = [];
    let rows = 0;
    const flush = async () => {
      if (group.length === 0) return;
      const done = await generateBatch(this.lm, group, config, {
        ...options,
        maxLogitsBytes: this.options.maxLogitsBytes,
        ...(this.sharedPrefixes ? { prefixes: this.prefixes } : {}),
      });
      if (options.onCompletion) for (const c of done) options.onCompletion(c);
      out.push(...done);
      group = [];
      rows = 0;
    };
    for (const req of requests) {
      const n = req.samples?.length ?? resolveConfig(config, req.config).n;
      // A batch starts from one shared prefix: a request with another one starts a new batch.
      const prefixChanged = group.length > 0 && sharedPrefixText(group[0]!) !== sharedPrefixText(req);
      if ((rows + n > maxRows || prefixChanged) && group.length > 0) await flush();
      group.push(req);
      rows += n;
    }
    await flush();
    return out;
  }

  async score(requests: ScoreRequest[], options: RunOptions = {}): Promise<ScoreResult[]> {
    const size = this.options.scoreBatchSize ?? 8;
    const out: ScoreResult[] = [];
    for (let i = 0; i < requests.length; i += size) {
      out.push(
        ...(await scoreBatch(this.lm, requests.slice(i, i + size), {
          ...options,
          maxLogitsBytes: this.options.maxLogitsBytes,
        })),
      );
    }
    return out;
  }

  async close(): Promise<void> {
    await this.lm.close();
  }
}
