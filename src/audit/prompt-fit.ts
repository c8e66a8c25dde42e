/**
 * Every prompt is checked against the model's context window when the audit is planned, before
 * any generation: a prompt that does not fit is an input error (exit 2) found in seconds rather
 * than hours into the run, or, with `--skip-too-long`, its problem is left out of the run (all of
 * its prompts, so that originals and variants stay paired) and counted.
 */
import type { Backend } from "../runner/types.js";
import type { AuditRequest } from "../types/audit.js";
import { InputError } from "../util/errors.js";

export interface PromptFitResult {
  /** The requests of the problems kept, in plan order. */
  requests: AuditRequest[];
  /** Problems left out because a prompt of theirs is too long, in plan order. */
  skipped: string[];
}

/** Checks every prompt with the backend's tokenizer; without one (a served model) keeps all. */
export function fitPrompts(
  requests: readonly AuditRequest[],
  backend: Backend,
  skipTooLong: boolean,
): PromptFitResult {
  if (!backend.promptFit) return { requests: [...requests], skipped: [] };
  const tooLong = new Set<string>();
  const checked = new Map<string, boolean>();
  for (const r of requests) {
    if (tooLong.has(r.problemId)) continue;
    let fits = checked.get(r.prompt);
    if (fits === undefined) {
      const fit = backend.promptFit(r.prompt);
      fits = fit.tokens < fit.maxContext;
      checked.set(r.prompt, fits);
      if (!fits && !skipTooLong) {
        throw new InputError(
          `prompt of ${r.variantId ?? `${r.problemId} (original)`}: ${fit.tokens} tokens do not fit the model's context window of ${fit.maxContext} tokens; use a shorter --format, or --skip-too-long to leave such problems out`,
        );
      }
    }
    if (!fits) tooLong.add(r.problemId);
  }
  return {
    requests: requests.filter((r) => !tooLong.has(r.problemId)),
    skipped: [...tooLong],
  };
}
