/**
 * Python sandbox cost: executions per second of small `solution()` programs through one executor
 * (each with the interpreter's state restored afterwards), the cost of starting an executor, and
 * the cost of a timeout (the limit, then the next program on the warm spare).
 * `npm run bench -- sandbox [runs]`.
 */
import { PythonSandbox } from "../src/sandbox/index.js";

const PROGRAM = (i: number) =>
  `def solution():\n    eggs = 16 - 3 - 4\n    price = ${i % 7} + 2\n    return eggs * price\n`;
const LOOP = "def solution():\n    while True:\n        pass\n";

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const runs = Number(args[0] ?? 500);
  const sb = new PythonSandbox();
  const t0 = performance.now();
  const layers = await sb.start();
  const startMs = performance.now() - t0;
  for (let i = 0; i < 20; i++) await sb.run(PROGRAM(i)); // warm-up
  const t1 = performance.now();
  let ok = 0;
  for (let i = 0; i < runs; i++) if ((await sb.run(PROGRAM(i))).ok) ok++;
  const seconds = (performance.now() - t1) / 1000;
  // Let the spare finish loading, as it does while a model generates.
  await new Promise((resolve) => setTimeout(resolve, 8000));
  const t2 = performance.now();
  const timeout = await sb.run(LOOP);
  const t3 = performance.now();
  await sb.run(PROGRAM(0));
  const recoveryMs = performance.now() - t3;
  // Two timeouts back to back: the second spare has had only the time limit to load.
  await sb.run(LOOP);
  const t4 = performance.now();
  await sb.run(PROGRAM(0));
  const backToBackRecoveryMs = performance.now() - t4;
  await sb.close();
  process.stderr.write(`${runs} runs in ${seconds.toFixed(2)} s\n`);
  return {
    runs,
    ok,
    layers: [layers.permission ? "permission" : null, layers.namespaces ? "namespaces" : null].filter(
      Boolean,
    ),
    executions_per_second: Number((runs / seconds).toFixed(1)),
    mean_ms_per_execution: Number(((seconds * 1000) / runs).toFixed(3)),
    start_ms: Math.round(startMs),
    timeout_reason: timeout.ok ? null : timeout.reason,
    timeout_ms: Math.round(t3 - t2),
    recovery_after_timeout_ms: Math.round(recoveryMs),
    recovery_after_second_timeout_ms: Math.round(backToBackRecoveryMs),
  };
}
