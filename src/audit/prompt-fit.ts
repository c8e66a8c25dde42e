/**
 * Every prompt is checked against the model's context window when the audit is planned, before
 * any generation: a prompt that does not fit is an input error (exit 2) found in seconds rather
 * than hours into the run, or, with `--skip-too-long`, its problem is left out of the run (all of
 * its prompts, so that originals and variants stay paired) and counted. A served model is measured
 * by its server's tokenizer (`/tokenize`, as vLLM and `litmus serve` offer); where the server has
 * none, the prompts are kept and the server judges each as it is sent.
 */
import type { Backend } from "../runner/types.js";
import type { AuditRequest } from "../types/audit.js";
import { InputError } from "../util/errors.js";

export interface PromptFitResult {
  /** The requests of the problems kept, in plan order. */
  requests: AuditRequest[];
  /** Problems left out because a prompt of theirs is too long, in plan order. */
  skipped: string[];
  /** Prompts that could not be measured (a server without a tokenize endpoint). */
  unmeasured: number;
}

/** Checks every distinct prompt with the backend's tokenizer. */
export async function fitPrompts(
  requests: readonly AuditRequest[],
  backend: Backend,
  skipTooLong: boolean,
): Promise<PromptFitResult> {
  const prompts = [...new Set(requests.map((r) => r.prompt))];
  if (!backend.promptFits) return { requests: [...requests], skipped: [], unmeasured: prompts.length };
  // A chat API prompt is measured as the server renders its messages (the text is a transcript).
  const messagesOf = new Map(requests.map((r) => [r.prompt, r.messages]));
  const chats = prompts.map((p) => messagesOf.get(p));
  const measured = await backend.promptFits(prompts, ...(chats.some((m) => m !== undefined) ? [chats] : []));
  const fitOf = new Map(prompts.map((p, i) => [p, measured[i] ?? null]));
  const tooLong = new Set<string>();
  for (const r of requests) {
    const fit = fitOf.get(r.prompt) ?? null;
    if (fit === null || fit.tokens < fit.maxContext) continue;
    if (!skipTooLong) {
      throw new InputError(
        `prompt of ${r.variantId ?? `${r.problemId} (original)`}: ${fit.tokens} tokens do not fit the model's context window of ${fit.maxContext} tokens; use a shorter --format, or --skip-too-long to leave such problems out`,
      );
    }
    tooLong.add(r.problemId);
  }
  return {
    requests: requests.filter((r) => !tooLong.has(r.problemId)),
    skipped: [...new Set(requests.filter((r) => tooLong.has(r.problemId)).map((r) => r.problemId))],
    unmeasured: [...fitOf.values()].filter((f) => f === null).length,
  };
}
