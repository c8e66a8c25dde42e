import assert from "node:assert/strict";
import type { SandboxResult } from "../../src/sandbox/index.js";

/** A program whose solution() has `body`, after the module-level lines `head`. */
export const sol = (body: string, head = "") => `${head}\ndef solution():\n${body.replace(/^/gm, "    ")}\n`;

/** Asserts a result is no answer for `reason` (and its message matches). */
export function noAnswer(r: SandboxResult, reason: string | RegExp, message?: RegExp): void {
  assert.equal(r.ok, false, JSON.stringify(r));
  if (r.ok) return;
  if (typeof reason === "string") assert.equal(r.reason, reason, JSON.stringify(r));
  else assert.match(r.reason, reason);
  if (message) assert.match(r.message, message);
}
