/** How a local model's decode loop keeps its KV cache, said in one line (for `--verbose`). */
import type { DecodePath } from "./types.js";

export function describeDecodePath(d: DecodePath): string {
  return d.path === "slot-cache"
    ? "decoding over a slot cache (each step fetches only the new key/value positions)"
    : `decoding with present.* fed back each step (${d.reason ?? "no reason given"})`;
}
