/**
 * The sandbox layers a `code` run's programs ran under, kept in the run store so that summary.json
 * (and a resumed or merged run) says so. A run is only as contained as its least contained part:
 * a layer counts as present only when every executor of every invocation had it.
 */
import { type SandboxLayers, weakestLayers } from "../sandbox/index.js";
import type { RunStore } from "../store/index.js";

const NOTE = "sandbox";

/** The layers recorded for the run (null: no program has run). */
export function storedSandboxLayers(store: RunStore): SandboxLayers | null {
  return (store.note(NOTE) as SandboxLayers | null) ?? null;
}

/** Adds this invocation's layers to the run's record. */
export function recordSandboxLayers(store: RunStore, layers: SandboxLayers | null): void {
  const merged = weakestLayers(storedSandboxLayers(store), layers);
  if (merged) store.putNote(NOTE, merged);
}
