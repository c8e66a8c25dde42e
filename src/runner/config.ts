/** Generation settings: defaults and validation at the boundary. */
import { InputError } from "../util/errors.js";
import type { GenerationConfig } from "./types.js";

export const DEFAULT_GENERATION: Readonly<GenerationConfig> = {
  maxNewTokens: 256,
  temperature: 0,
  topK: 0,
  topP: 1,
  stop: [],
  n: 1,
  seed: 0,
};

/** Merges overrides onto a base config and checks every field. */
export function resolveConfig(
  base: Partial<GenerationConfig> = {},
  ...overrides: Array<Partial<GenerationConfig> | undefined>
): GenerationConfig {
  const c: GenerationConfig = { ...DEFAULT_GENERATION, ...strip(base) };
  for (const o of overrides) if (o) Object.assign(c, strip(o));
  const bad = (field: string, why: string): never => {
    throw new InputError(`${field}: ${why}`);
  };
  if (!Number.isInteger(c.maxNewTokens) || c.maxNewTokens < 1)
    bad("max new tokens", `must be a positive integer (got ${c.maxNewTokens})`);
  if (!Number.isFinite(c.temperature) || c.temperature < 0)
    bad("temperature", `must be >= 0 (got ${c.temperature})`);
  if (!Number.isInteger(c.topK) || c.topK < 0) bad("top-k", `must be an integer >= 0 (got ${c.topK})`);
  if (!(c.topP > 0 && c.topP <= 1)) bad("top-p", `must be in (0, 1] (got ${c.topP})`);
  if (!Number.isInteger(c.n) || c.n < 1) bad("n", `must be a positive integer (got ${c.n})`);
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > 0xffffffff)
    bad("seed", `must be an integer in [0, 2^32) (got ${c.seed})`);
  if (c.stop.some((s) => s === "")) bad("stop", "stop strings must not be empty");
  return c;
}

function strip(o: Partial<GenerationConfig>): Partial<GenerationConfig> {
  const out: Partial<GenerationConfig> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
