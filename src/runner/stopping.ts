/** Stopping criteria: eos ids, stop strings and the token budget, one verdict per row. */
import type { FinishReason } from "./types.js";

/** Index of the earliest occurrence of any stop string in `text`, or -1. */
export function findStop(text: string, stops: readonly string[]): number {
  let first = -1;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (first < 0 || i < first)) first = i;
  }
  return first;
}

export interface StopCheck {
  /** Whether `after` needs the decoded text (stop strings were given). */
  needsText: boolean;
  isEos(token: number): boolean;
  /** The finish reason after appending a token (not eos), or undefined to continue. */
  after(text: string, generated: number, budget: number): { reason: FinishReason; cut: number } | undefined;
}

export function stopCheck(eosIds: readonly number[], stops: readonly string[]): StopCheck {
  const eos = new Set(eosIds);
  return {
    needsText: stops.length > 0,
    isEos: (token) => eos.has(token),
    after: (text, generated, budget) => {
      if (stops.length > 0) {
        const at = findStop(text, stops);
        if (at >= 0) return { reason: "stop", cut: at };
      }
      if (generated >= budget) return { reason: "length", cut: text.length };
      return undefined;
    },
  };
}
