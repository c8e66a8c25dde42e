/** Shared setup for the runner benchmarks (run after `npx tsc -p tsconfig.json`). */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The phi-1.5-shaped model the benchmarks run on (LITMUS_BENCH_MODEL, or a 4-layer slice in
 * benchmarks/out/phi-1_5-4l); build it with tools/build_phi_model.py.
 */
export function benchModelDir(): string {
  const dir =
    process.env["LITMUS_BENCH_MODEL"] ??
    fileURLToPath(new URL("../../../benchmarks/out/phi-1_5-4l", import.meta.url));
  if (!existsSync(dir)) {
    process.stderr.write(
      `benchmark model ${dir} not found: build it with\n` +
        `  python3 tools/build_phi_model.py --preset phi-1_5 --layers 4 --no-reference --out benchmarks/out/phi-1_5-4l\n` +
        "(a Python with torch, transformers, onnx, onnxruntime and onnxscript; see the tool's docstring)\n",
    );
    process.exit(2);
  }
  return dir;
}

export const THREADS = Number(process.env["LITMUS_BENCH_THREADS"] ?? 0);

/** A GSM8K-style prompt of roughly `tokens` tokens. */
export function benchPrompt(words: number): string {
  const base =
    "Question: A baker fills 36 jars with honey on Monday and twice as many jars on Tuesday. " +
    "Each jar sells for $4. How much money does the baker make from both days? Answer: ";
  let text = base;
  while (text.split(" ").length < words) text += base;
  return text.split(" ").slice(0, words).join(" ");
}

export function now(): number {
  return performance.now();
}

/** Prints a human-readable line and, last, the figures as one JSON object. */
export function report(lines: string[], figures: Record<string, number | string>): void {
  for (const l of lines) process.stdout.write(`${l}\n`);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
