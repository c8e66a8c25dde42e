/**
 * Python sandbox throughput: executions per second of small `solution()` programs through one
 * pyodide worker, the cost of loading pyodide, and the cost of a timeout (a new worker).
 * `npm run bench -- sandbox [runs]`.
 */
import { PythonSandbox } from "../src/sandbox/index.js";

const PROGRAM = (i: number) =>
  `def solution():\n    eggs = 16 - 3 - 4\n    price = ${i % 7} + 2\n    return eggs * price\n`;

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const runs = Number(args[0] ?? 500);
  const sb = new PythonSandbox();
  const t0 = performance.now();
  await sb.start();
  const loadMs = performance.now() - t0;
  for (let i = 0; i < 20; i++) await sb.run(PROGRAM(i)); // warm-up
  const t1 = performance.now();
  let ok = 0;
  for (let i = 0; i < runs; i++) if ((await sb.run(PROGRAM(i))).ok) ok++;
  const seconds = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  const timeout = await sb.run("def solution():\n    while True:\n        pass\n");
  await sb.run(PROGRAM(0));
  const timeoutRecoveryMs = performance.now() - t2;
  await sb.close();
  process.stderr.write(`${runs} runs in ${seconds.toFixed(2)} s\n`);
  return {
    runs,
    ok,
    executions_per_second: Number((runs / seconds).toFixed(1)),
    mean_ms_per_execution: Number(((seconds * 1000) / runs).toFixed(3)),
    load_ms: Math.round(loadMs),
    timeout_reason: timeout.ok ? null : timeout.reason,
    timeout_plus_restart_ms: Math.round(timeoutRecoveryMs),
  };
}
