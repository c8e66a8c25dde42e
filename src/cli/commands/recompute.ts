import { loadProblems, readJsonl } from "../../data/index.js";
import { toJsonl, writeOutput } from "../../perturb-io/output.js";
import { type RecomputeResult, recomputeEdited } from "../../recompute/index.js";
import { InputError, located } from "../../util/errors.js";
import type { CliCommand } from "./types.js";

/** `litmus recompute`: answers to hand-edited questions, line by line, or a reason to refuse. */
export const recomputeCommand: CliCommand = {
  command: "recompute",
  describe: "Recompute the answers of questions edited by hand (only their quantities changed)",
  builder: (y) =>
    y
      .option("original", {
        type: "string",
        demandOption: true,
        describe: "GSM8K-format JSONL: the original problems (question and annotated answer)",
      })
      .option("edited", {
        type: "string",
        demandOption: true,
        describe: 'JSONL of {"question": ...}: the edited questions, one per original, in the same order',
      })
      .option("out", { type: "string", describe: "Write the JSONL results to this file (default: stdout)" }),
  run: async (args) => {
    const originalPath = String(args["original"]);
    const editedPath = String(args["edited"]);
    const originals = await loadProblems(originalPath);
    const edited = (await readJsonl(editedPath)).map((record) => {
      const question = record.value["question"];
      if (typeof question !== "string" || question.trim() === "") {
        throw new InputError(located(editedPath, record.line, `"question" must be a non-empty string`));
      }
      return question;
    });
    if (originals.length !== edited.length) {
      throw new InputError(
        `${originalPath} has ${originals.length} problems but ${editedPath} has ${edited.length} questions; ` +
          "they must pair up line by line",
      );
    }
    const results = originals.map((problem, i): RecomputeResult => {
      try {
        return recomputeEdited(problem, edited[i] as string);
      } catch (err) {
        // An engine failure on one problem is a refusal for that problem, not a lost run.
        process.stderr.write(`litmus: warning: ${problem.id}: ${(err as Error).message}\n`);
        return { answer: null, reason: "engine_error" };
      }
    });
    const out = args["out"] as string | undefined;
    await writeOutput(out, toJsonl(results));
    const refused = results.filter((r) => r.answer === null).length;
    if (out !== undefined) {
      process.stderr.write(
        `litmus: recomputed ${results.length - refused} of ${results.length} (${refused} refused) into ${out}\n`,
      );
    }
    return 0;
  },
};
