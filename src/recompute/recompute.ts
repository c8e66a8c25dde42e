import { finalAnswerOf } from "../data/index.js";
import { liftProgram, type Program, type Rational, rewriteProblem } from "../perturb/index.js";
import type { Source } from "../perturb/program.js";
import { checkSensible, RECOMPUTE_RULES } from "../perturb/sensible.js";
import { canonicalAnswer } from "../probes/answer.js";
import { alignQuantities } from "./align.js";

/** A recomputed answer (canonical decimal), or the reason code for refusing to give one. */
export type RecomputeResult = { answer: string; reason: null } | { answer: null; reason: string };

/**
 * The answer to an edited question whose only changes are quantity values, worked out by
 * re-running the original's solution with the new values. Any doubt is a refusal with a reason
 * code: `not_aligned`, `not_perturbable:<code>`, `unused_quantity`, or the rewrite's reason
 * (`ambiguous_binding`, `unwritable_value`, `division_by_zero`).
 */
export function recomputeEdited(
  original: { question: string; answer: string },
  editedQuestion: string,
): RecomputeResult {
  const pairs = alignQuantities(original.question, editedQuestion);
  if (!pairs) return refuse("not_aligned");
  const changed = pairs.filter((p) => !p.original.value.equals(p.edited.value));
  if (changed.length === 0) {
    // Same quantities, kinds and words (1,000 may read 1000): the same problem, lifted or not.
    const final = finalAnswerOf(original.answer);
    const answer = "finalAnswer" in final ? canonicalAnswer(final.finalAnswer) : null;
    return answer === null ? refuse("not_perturbable:no_final_answer") : { answer, reason: null };
  }
  const lift = liftProgram(original.question, original.answer);
  if (!lift.ok) return refuse(`not_perturbable:${lift.reason}`);
  // Each quantity as the edit wrote it: a fraction's numerator and denominator come from its text
  // (1/4 -> 1/3 must divide by 3), and $12 -> $12.50 must be writable with cents.
  const program: Program = {
    ...lift.program,
    quantities: lift.program.quantities.map((q, i) => {
      const edited = (pairs[i] as (typeof pairs)[number]).edited;
      return { ...q, style: edited.style, parts: edited.parts };
    }),
  };
  // A value the solution never reads cannot be shown to leave the answer alone; it may have been
  // used in a way the lift did not see.
  if (changed.some((p) => !readsQuantity(program, p.original.index))) return refuse("unused_quantity");
  const replaced = new Map<number, Rational>(changed.map((p) => [p.original.index, p.edited.value]));
  const result = rewriteProblem(program, replaced);
  if (!result.ok) return refuse(result.reason);
  // An edit that makes the problem impossible (more guests left out than came, a negative count, an
  // age of 198) has no right answer to give.
  const implausible = checkSensible(program, result.value.execution, {
    requireChange: false,
    rules: RECOMPUTE_RULES,
  });
  if (implausible !== null) return refuse(`implausible:${implausible}`);
  const answer = result.value.expected.toDecimal();
  return answer === null ? refuse("unwritable_value") : { answer, reason: null };
}

function readsQuantity(program: Program, index: number): boolean {
  const reads = (s: Source): boolean =>
    s.type === "quantity"
      ? s.quantity === index
      : s.type === "derived"
        ? reads(s.left) || reads(s.right)
        : false;
  return (
    program.finalSources.some(reads) ||
    program.steps.some((step) => step.operands.some((sources) => sources.some(reads)))
  );
}

function refuse(reason: string): RecomputeResult {
  return { answer: null, reason };
}
