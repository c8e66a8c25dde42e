import { InputError } from "../util/errors.js";
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
]);

/**
 * Probes run only when `--probes` names them: adding them to the default would change the plan, and
 * so the identity, of every run made with the default (an old run folder would no longer resume).
 */
const OPT_IN: ReadonlySet<string> = new Set(["distractor", "format"]);

export const DEFAULT_PROBES = [...probeFactories.keys()].filter((name) => !OPT_IN.has(name)).join(",");

/** Every probe name, for `--help` and error messages. */
export const KNOWN_PROBES = [...probeFactories.keys()].join(",");

/** Builds the probes of a comma-separated list (`newline,number-swap`) with default parameters. */
export function parseProbeList(list: string): Probe[] {
  const names = list.split(",").map((name) => name.trim());
  const known = [...probeFactories.keys()].join(", ");
  if (names.every((name) => name === "")) throw new InputError(`no probes given; known probes: ${known}`);
  const seen = new Set<string>();
  return names.map((name) => {
    const factory = probeFactories.get(name);
    if (name === "") throw new InputError(`empty name in probe list "${list}"; known probes: ${known}`);
    if (!factory) throw new InputError(`unknown probe "${name}"; known probes: ${known}`);
    // Variant ids are per probe name, so a repeated probe would emit the same ids twice.
    if (seen.has(name)) throw new InputError(`probe "${name}" is listed twice`);
    seen.add(name);
    return factory();
  });
}
