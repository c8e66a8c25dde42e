import { resolveDataset } from "../../data/index.js";
import { toJsonl, writeOutput } from "../../perturb-io/output.js";
import { renderReviewSheet, selectForReview } from "../../perturb-io/review.js";
import { formatStats } from "../../perturb-io/stats.js";
import { DEFAULT_PROBES, KNOWN_PROBES, MAX_INSTANCES, parseProbeList } from "../../probes/registry.js";
import { runProbes } from "../../probes/run.js";
import { loadFormatSpec, wrapperOfSpec } from "../../prompts/index.js";
import { InputError } from "../../util/errors.js";
import { DEFAULT_SEED } from "../../util/rng.js";
import type { CliCommand } from "./types.js";

/** `litmus perturb`: probe variants of a data set's problems, as JSONL, coverage stats or a review sheet. */
export const perturbCommand: CliCommand = {
  command: "perturb",
  describe: "Make probe variants of a data set's problems, with their expected answers",
  builder: (y) =>
    y
      .option("dataset", {
        type: "string",
        demandOption: true,
        describe: "gsm8k, or a GSM8K-format JSONL file",
      })
      .option("split", { type: "string", describe: "Split of a named data set (gsm8k: test or train)" })
      .option("probes", {
        type: "string",
        default: DEFAULT_PROBES,
        describe: `Comma-separated probe names (known: ${KNOWN_PROBES})`,
      })
      .option("format", {
        type: "string",
        default: "qa",
        describe:
          "Prompt format the variants are for, as audit's --format (only the format probe depends on it)",
      })
      .option("instances", {
        type: "number",
        default: 1,
        describe: `Distinct number instantiations per problem from each answer-changing probe (1 to ${MAX_INSTANCES})`,
      })
      .option("probe-seed", {
        alias: "seed",
        type: "number",
        default: DEFAULT_SEED,
        describe: "Seed of the variants, as audit's --probe-seed (0 to 4294967295; --seed is the same here)",
      })
      .option("limit", { type: "number", describe: "Only the first N problems" })
      .option("out", { type: "string", describe: "Write variants as JSONL to this file (default: stdout)" })
      .option("stats", { type: "boolean", describe: "Print per-probe coverage and not-perturbable reasons" })
      .option("json", { type: "boolean", describe: "With --stats: print one JSON object" })
      .option("review", { type: "number", describe: "Print a Markdown review sheet of N random variants" }),
  run: async (args) => {
    const seed = integerArg(args["probe-seed"], "--probe-seed", 0, 0xffffffff) as number;
    const limit = integerArg(args["limit"], "--limit", 1, Number.MAX_SAFE_INTEGER);
    const review = integerArg(args["review"], "--review", 1, Number.MAX_SAFE_INTEGER);
    const out = args["out"] as string | undefined;
    if (args["stats"] && review !== undefined)
      throw new InputError("--stats and --review cannot be combined");
    if (args["json"] && !args["stats"]) throw new InputError("--json only applies to --stats");
    const instances = integerArg(args["instances"], "--instances", 1, MAX_INSTANCES) ?? 1;
    const probes = parseProbeList(String(args["probes"]), { instances });
    const split = args["split"] as string | undefined;
    const log = (message: string): void => void process.stderr.write(`litmus: ${message}\n`);
    const dataset = await resolveDataset(
      String(args["dataset"]),
      split === undefined ? { log } : { split, log },
    );
    const problems = limit === undefined ? dataset.problems : dataset.problems.slice(0, limit);

    const spec = await loadFormatSpec(String(args["format"]));
    const run = runProbes(problems, probes, seed, {
      promptFormat: { name: spec.name, wrapper: wrapperOfSpec(spec) },
    });
    for (const e of run.errors) log(`warning: probe ${e.probe} failed on ${e.problemId} (${e.message})`);
    if (out !== undefined) await writeOutput(out, toJsonl(run.variants));
    if (args["stats"]) {
      await writeOutput(undefined, args["json"] ? `${JSON.stringify(run.stats)}\n` : formatStats(run.stats));
    } else if (review !== undefined) {
      const chosen = selectForReview(run.variants, review, seed);
      const byId = new Map(problems.map((p) => [p.id, p]));
      const context = { dataset: dataset.name, seed, total: run.variants.length, problems: byId };
      await writeOutput(undefined, renderReviewSheet(chosen, context));
    } else if (out === undefined) {
      await writeOutput(undefined, toJsonl(run.variants));
    }
    if (out !== undefined)
      log(`wrote ${run.variants.length} variants of ${problems.length} problems to ${out}`);
    return 0;
  },
};

/** An integer option within [min, max], or undefined when not given. */
function integerArg(value: unknown, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InputError(`${flag} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return n;
}
