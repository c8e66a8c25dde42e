/** How a local model's decode loop keeps its KV cache, said in one line (for `--verbose`). */
import type { DecodePath } from "./types.js";

export function describeDecodePath(d: DecodePath): string {
  if (d.path !== "slot-cache")
    return `decoding with present.* fed back each step (${d.reason ?? "no reason given"})`;
  const attention =
    d.attention === undefined
      ? ""
      : d.attention.split
        ? "; attention reads the cache in place (no copy of it per step)"
        : `; attention as exported (${d.attention.reason ?? "no reason given"})`;
  return `decoding over a slot cache (each step fetches only the new key/value positions)${attention}`;
}
