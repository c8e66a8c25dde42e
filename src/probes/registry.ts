import { InputError } from "../util/errors.js";
import { decimal } from "./decimal.js";
import { digitExpansion } from "./digit-expansion.js";
import { distractor } from "./distractor.js";
import { format } from "./format.js";
import { newline } from "./newline.js";
import { numberSwap, priceEdit } from "./number-swap.js";
import { rename } from "./rename.js";
import type { Probe, ProbeFactory } from "./types.js";

/** Every probe by the name users type in `--probes`, in the order they run by default. */
export const probeFactories: ReadonlyMap<string, ProbeFactory> = new Map([
  ["newline", newline],
  ["number-swap", numberSwap],
  ["price-edit", priceEdit],
  ["rename", rename],
  // Issue 19, part A: answer-keeping probes of irrelevant text and of the prompt's wrapper.
  ["distractor", distractor],
  ["format", format],
  // GSM-Plus-style answer-changing probes (issue 19, part B).
  ["digit-expansion", digitExpansion],
  ["decimal", decimal],
]);

/**
 * Probes run only when `--probes` names them: the default list stays the 2023 phi-1.5 probes, so
 * default audits (and the figures measured on them) are unchanged by adding a probe, and a run
 * folder made with the default still resumes.
 */
export const OPT_IN_PROBES: ReadonlySet<string> = new Set([
  "distractor",
  "format",
  "digit-expansion",
  "decimal",
]);

export const DEFAULT_PROBES = [...probeFactories.keys()].filter((name) => !OPT_IN_PROBES.has(name)).join(",");

/** Every known probe, for `--probes`'s help. */
export const KNOWN_PROBES = [...probeFactories.keys()].join(", ");

/** The most `--instances` a run may ask for (GSM-Symbolic made 50 per template). */
export const MAX_INSTANCES = 1000;

/** Settings that apply to a whole probe list. */
export interface ProbeListOptions {
  /**
   * `--instances K`: distinct number instantiations per problem from each answer-changing probe
   * (its `instances` parameter; 1, the default, leaves every probe's parameters as they were).
   */
  instances?: number;
}

/** Builds the probes of a comma-separated list (`newline,number-swap`) with default parameters. */
export function parseProbeList(list: string, options: ProbeListOptions = {}): Probe[] {
  const names = list.split(",").map((name) => name.trim());
  const known = KNOWN_PROBES;
  if (names.every((name) => name === "")) throw new InputError(`no probes given; known probes: ${known}`);
  const seen = new Set<string>();
  const instances = options.instances ?? 1;
  return names.map((name) => {
    const factory = probeFactories.get(name);
    if (name === "") throw new InputError(`empty name in probe list "${list}"; known probes: ${known}`);
    if (!factory) throw new InputError(`unknown probe "${name}"; known probes: ${known}`);
    // Variant ids are per probe name, so a repeated probe would emit the same ids twice.
    if (seen.has(name)) throw new InputError(`probe "${name}" is listed twice`);
    seen.add(name);
    const probe = factory();
    // Instances are number instantiations: only probes that change the answer have them.
    return instances > 1 && probe.changesAnswer ? factory({ instances }) : probe;
  });
}
