/**
 * A load script for `litmus serve` on 127.0.0.1: while one hostile request runs (a long prompt
 * list, megabyte prompts, a client that leaves), a well-behaved client keeps asking for a short
 * completion and every answer's latency is recorded; the event loop's delay is sampled too.
 * Bounded: at most `probes` probe requests, one every `everyMs`, and the whole run at most
 * `timeoutMs`. Used by serve-hostile.test.ts; run it alone against any server with
 * `node dist/tests/serve/load.js URL MODEL` (a long prompt list, then a client that leaves).
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

export interface Hostile {
  /** The request body the hostile client sends to /completions (a string is sent as written). */
  body: unknown;
  /** Leave (abort the request) this long after sending it; absent: wait for the answer. */
  leaveAfterMs?: number;
}

export interface LoadResult {
  /** Status of the hostile request ("left" when its client left). */
  hostileStatus: number | "left";
  hostileMessage: string | null;
  hostileMs: number;
  /** Latency of each probe request, ms, and their statuses. */
  probeMs: number[];
  probeStatus: number[];
  /** When the last probe was answered, ms from the start. */
  probesDoneMs: number;
  /** Largest event-loop delay seen in this process while the load ran, ms (a client-side check). */
  loopDelayMaxMs: number;
}

export async function runLoad(
  url: string,
  model: string,
  hostile: Hostile,
  options: { probes?: number; everyMs?: number; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<LoadResult> {
  const probes = options.probes ?? 10;
  const everyMs = options.everyMs ?? 150;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const headers = { "content-type": "application/json", ...options.headers };
  // Encoded before timing starts: the client's own work is not the server's stall.
  const hostileBody = typeof hostile.body === "string" ? hostile.body : JSON.stringify(hostile.body);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const leave = new AbortController();
  const deadline = AbortSignal.timeout(timeoutMs);
  const t0 = performance.now();
  const hostileDone = fetch(`${url}/completions`, {
    method: "POST",
    headers,
    body: hostileBody,
    signal: AbortSignal.any([leave.signal, deadline]),
  }).then(
    async (res) => {
      const text = await res.text();
      let message: string | null = null;
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? null;
      } catch {}
      return { status: res.status as number | "left", message, ms: performance.now() - t0 };
    },
    () => ({ status: "left" as const, message: null, ms: performance.now() - t0 }),
  );
  if (hostile.leaveAfterMs !== undefined) setTimeout(() => leave.abort(), hostile.leaveAfterMs);
  // Let the hostile request reach the server first.
  await new Promise((r) => setTimeout(r, 50));
  const probeMs: number[] = [];
  const probeStatus: number[] = [];
  let probesDoneMs = 0;
  for (let i = 0; i < probes && !deadline.aborted; i++) {
    const started = performance.now();
    const res = await fetch(`${url}/completions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model, prompt: `Probe ${i}: 2 + 2 =`, max_tokens: 2, temperature: 0 }),
      signal: deadline,
    });
    await res.arrayBuffer();
    probeMs.push(performance.now() - started);
    probeStatus.push(res.status);
    probesDoneMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  const h = await hostileDone;
  loop.disable();
  return {
    hostileStatus: h.status,
    hostileMessage: h.message,
    hostileMs: h.ms,
    probeMs,
    probeStatus,
    probesDoneMs,
    loopDelayMaxMs: loop.max / 1e6,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [url, model] = process.argv.slice(2);
  if (!url || !model) {
    process.stderr.write("usage: node dist/tests/serve/load.js URL MODEL\n");
    process.exit(2);
  }
  const list = { model, prompt: Array.from({ length: 200 }, (_, i) => `Item ${i}:`), n: 16, max_tokens: 16 };
  for (const hostile of [{ body: list }, { body: list, leaveAfterMs: 300 }]) {
    const r = await runLoad(url, model, hostile);
    process.stdout.write(
      `${JSON.stringify({ leave: hostile.leaveAfterMs ?? null, ...r, probeMaxMs: Math.max(...r.probeMs) })}\n`,
    );
  }
}
