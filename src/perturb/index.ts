/**
 * The perturbation engine: reads a problem's question and worked solution, lifts the solution into
 * a program over the question's quantities, and recomputes it for changed quantities.
 */
import type { Problem } from "../types/index.js";
import { type LiftResult, liftProgram } from "./program.js";

export type { LiftResult, NotPerturbableReason, Program } from "./program.js";
export { execute, liftProgram } from "./program.js";
export type { Quantity } from "./quantities.js";
export { scanQuantities } from "./quantities.js";
export { Rational } from "./rational.js";
export type { RewriteFailure, Rewritten } from "./rewrite.js";
export { rewriteProblem } from "./rewrite.js";
export { proposeValue } from "./values.js";

/** A problem together with its lifted program (or the reason it has none), computed once. */
export interface AnalyzedProblem {
  problem: Problem;
  lift: LiftResult;
}

export function analyzeProblem(problem: Problem): AnalyzedProblem {
  return { problem, lift: liftProgram(problem.question, problem.answer) };
}
