import levenshtein from "fast-levenshtein";

/**
 * The known name a mistyped one most likely meant ("tempreature" -> "temperature"), or null when
 * none is close: within a third of the name's length in edits (at least 2).
 */
export function closestName(name: string, known: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = levenshtein.get(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}
