/**
 * How fast this machine reads memory: `threads` workers each compare two equal 256 MiB buffers
 * (memcmp streams both), best of a few rounds. A decode step of a model too large for the caches
 * reads every weight once, so weights / bandwidth is the floor no runtime can beat at batch 1.
 */
import { Worker } from "node:worker_threads";

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const a = Buffer.alloc(workerData.bytes, 7);
const b = Buffer.alloc(workerData.bytes, 7);
a.compare(b);
parentPort.on("message", () => {
  const t0 = performance.now();
  a.compare(b);
  parentPort.postMessage(performance.now() - t0);
});
parentPort.postMessage("ready");
`;

export async function readBandwidthGBs(
  threads: number,
  rounds = 5,
  bytes = 256 * 1024 * 1024,
): Promise<number> {
  const workers = Array.from(
    { length: threads },
    () => new Worker(WORKER, { eval: true, workerData: { bytes } }),
  );
  const next = (w: Worker) => new Promise<unknown>((resolve) => w.once("message", resolve));
  await Promise.all(workers.map(next));
  let best = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      const done = workers.map(next);
      for (const w of workers) w.postMessage("go");
      await Promise.all(done);
      const seconds = (performance.now() - t0) / 1000;
      best = Math.max(best, (2 * bytes * threads) / seconds / 1e9);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return best;
}
