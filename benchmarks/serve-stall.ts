/**
 * How long hostile requests stall other clients of `litmus serve`: the real CLI runs as a child
 * process (phi-tiny, the chatml template so chats go through Jinja), and a probe client in a worker
 * thread (its own event loop: the hostile client's work does not delay its timings) asks
 * `GET /health` and `GET /v1/models` one after another, first with the server idle (the baseline),
 * then while each hostile scenario runs: megabyte prompts to /v1/completions and /tokenize, a long
 * prompt list with a large n, clients that leave mid-request or mid-upload, a chat with a long
 * messages list, then all of them at once. Each scenario gets a fresh server, started with
 * LITMUS_SERVE_LOOP_STATS=1 so it reports its own event-loop delay when stopped.
 * `npm run bench -- serve-stall [idle probes, default 200] [only scenarios whose name contains this]`;
 * bounded: each scenario at most 20 s, the whole run about a minute.
 * Target: the largest /health latency under load at most 100 ms above the idle baseline's.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const MODEL_DIR = fileURLToPath(new URL("../../tests/fixtures/phi-tiny", import.meta.url));
const CHAT_TEMPLATE = fileURLToPath(
  new URL("../../tests/fixtures/chat-templates/chatml.jinja", import.meta.url),
);
const MODEL = "phi-tiny";
/** No scenario may run longer: its requests are abandoned then (the benchmark stays bounded). */
const SCENARIO_LIMIT_MS = 20_000;
/** A /v1/models probe after every this many /health probes. */
const MODELS_EVERY = 4;
/** Pause between probes under load: often enough to land in any stall. */
const PROBE_GAP_MS = 2;

// ---------------------------------------------------------------------------------------------
// The probe client (a worker thread).

interface ProbeStart {
  port: number;
  /** Stop after this many /health probes (the baseline); absent: until told to stop. */
  count?: number;
  gapMs: number;
}
interface ProbeTimes {
  health: number[];
  models: number[];
  failures: number;
}

async function probeLoop(start: ProbeStart): Promise<ProbeTimes> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let stop = false;
  parentPort!.on("message", () => {
    stop = true;
  });
  const get = (path: string): Promise<number | null> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = request({ host: "127.0.0.1", port: start.port, path, agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode === 200 ? performance.now() - t0 : null));
      });
      req.on("error", () => resolve(null));
      req.end();
    });
  const times: ProbeTimes = { health: [], models: [], failures: 0 };
  for (let i = 0; start.count === undefined ? !stop : i < start.count; i++) {
    const h = await get("/health");
    if (h === null) times.failures++;
    else times.health.push(h);
    if (i % MODELS_EVERY === MODELS_EVERY - 1) {
      const m = await get("/v1/models");
      if (m === null) times.failures++;
      else times.models.push(m);
    }
    if (start.gapMs > 0) await new Promise((r) => setTimeout(r, start.gapMs));
  }
  agent.destroy();
  return times;
}

if (!isMainThread && (workerData as { probe?: ProbeStart } | null)?.probe) {
  const times = await probeLoop((workerData as { probe: ProbeStart }).probe);
  parentPort!.postMessage(times);
}

/** Starts the probe worker; `stop()` ends an open-ended run and resolves its timings. */
function startProbes(probe: ProbeStart): { done: Promise<ProbeTimes>; stop: () => void } {
  const worker = new Worker(new URL(import.meta.url), { workerData: { probe } });
  const done = new Promise<ProbeTimes>((resolve, reject) => {
    worker.once("message", (t: ProbeTimes) => {
      resolve(t);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
  return { done, stop: () => worker.postMessage("stop") };
}

// ---------------------------------------------------------------------------------------------
// The server under test.

interface Served {
  child: ChildProcess;
  port: number;
  stderr: () => string;
}

async function startServe(): Promise<Served> {
  const child = spawn(
    process.execPath,
    [MAIN, "serve", "--model", MODEL_DIR, "--port", "0", "--quiet", "--chat-template", CHAT_TEMPLATE],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LITMUS_SERVE_LOOP_STATS: "1" } },
  );
  let err = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      const m = /serving \S+ at http:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`litmus serve exited ${code}: ${err}`)));
  });
  return { child, port, stderr: () => err };
}

/** The server's own event-loop delay (LITMUS_SERVE_LOOP_STATS), read from its last words. */
interface LoopStats {
  max_ms: number;
  p99_ms: number;
  mean_ms: number;
}

async function stopServe(s: Served): Promise<LoopStats | null> {
  const exited = new Promise<void>((r) => s.child.once("exit", () => r()));
  s.child.kill("SIGTERM");
  const timer = setTimeout(() => s.child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
  const m = /event loop delay: max ([\d.]+) ms, p99 ([\d.]+) ms, mean ([\d.]+) ms/.exec(s.stderr());
  return m ? { max_ms: Number(m[1]), p99_ms: Number(m[2]), mean_ms: Number(m[3]) } : null;
}

// ---------------------------------------------------------------------------------------------
// Hostile requests.

interface Hostile {
  label: string;
  path: string;
  body: Buffer;
  /** Leave this long after the request starts (the whole body is sent first). */
  leaveAfterMs?: number;
  /** Send only this many bytes of the body, then leave (a client gone mid-upload). */
  cutAtBytes?: number;
}

interface HostileOutcome {
  label: string;
  status: number | "left" | "error";
  ms: number;
}

function sendHostile(port: number, h: Hostile): Promise<HostileOutcome> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const done = (status: HostileOutcome["status"]) =>
      resolve({ label: h.label, status, ms: Math.round(performance.now() - t0) });
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: h.path,
        method: "POST",
        headers: { "content-type": "application/json", "content-length": h.body.length },
      },
      (res) => {
        res.resume();
        res.on("end", () => done(res.statusCode ?? "error"));
        res.on("error", () => done("left"));
      },
    );
    let left = false;
    const leave = () => {
      left = true;
      req.destroy();
      done("left");
    };
    req.on("error", () => {
      if (!left) done("error");
    });
    const limit = setTimeout(leave, SCENARIO_LIMIT_MS);
    req.on("close", () => clearTimeout(limit));
    if (h.cutAtBytes !== undefined) {
      req.write(h.body.subarray(0, h.cutAtBytes), () => setTimeout(leave, 50));
      return;
    }
    if (h.leaveAfterMs !== undefined) setTimeout(leave, h.leaveAfterMs);
    req.end(h.body);
  });
}

const WORDS = "Mira packed 36 jars of plum jam on Monday and twice as many on Tuesday for the market. ";
const MB = 1_000_000;
/** About `bytes` bytes of ordinary words. */
const text = (bytes: number) => WORDS.repeat(Math.ceil(bytes / WORDS.length)).slice(0, bytes);
const json = (body: unknown) => Buffer.from(JSON.stringify(body));

/** A long prompt list with a large n: 2,048 rows of 4 new tokens, with log-probs. */
function longList(): Buffer {
  return json({
    model: MODEL,
    prompt: Array.from({ length: 256 }, (_, i) => `Item ${i}:`),
    n: 8,
    max_tokens: 4,
    temperature: 1,
    logprobs: 1,
  });
}

/** A chat of many short turns (some 5 MB): rendered by the Jinja template, then found too long. */
function longChat(path: "chat" | "tokenize"): Buffer {
  const messages = Array.from({ length: 60_000 }, (_, i) => ({
    role: i % 2 === 0 ? "user" : "assistant",
    content: `Turn ${i}: how many jars did Mira pack?`,
  }));
  return json(path === "chat" ? { model: MODEL, messages, max_tokens: 4 } : { model: MODEL, messages });
}

function scenarios(): Record<string, Hostile[]> {
  const completion = (label: string, prompt: string | string[]): Hostile => ({
    label,
    path: "/v1/completions",
    body: json({ model: MODEL, prompt, max_tokens: 4 }),
  });
  const big = {
    "completions 1/5/15 MB prompts": [
      completion("1 MB", text(MB)),
      completion("5 MB", text(5 * MB)),
      completion("15 MB", text(15 * MB)),
      completion(
        "15 x 1 MB list",
        Array.from({ length: 15 }, () => text(MB)),
      ),
    ],
    "tokenize 1/5/15 MB prompts": [1, 5, 15].map((mb) => ({
      label: `tokenize ${mb} MB`,
      path: "/tokenize",
      body: json({ model: MODEL, prompt: text(mb * MB) }),
    })),
    "256 prompts x n 8": [{ label: "256 x n 8", path: "/v1/completions", body: longList() }],
    "clients that leave": [
      { label: "list, leaves after 500 ms", path: "/v1/completions", body: longList(), leaveAfterMs: 500 },
      {
        label: "15 MB, leaves mid-upload",
        path: "/v1/completions",
        body: json({ model: MODEL, prompt: text(15 * MB) }),
        cutAtBytes: 8 * MB,
      },
    ],
    "chat of 60,000 messages": [
      { label: "chat", path: "/v1/chat/completions", body: longChat("chat") },
      { label: "tokenize chat", path: "/tokenize", body: longChat("tokenize") },
    ],
  };
  return { ...big, "all at once": Object.values(big).flat() };
}

// ---------------------------------------------------------------------------------------------
// Figures.

interface Summary {
  count: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

function summary(ms: number[]): Summary {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const r = (x: number) => Number(x.toFixed(1));
  return {
    count: sorted.length,
    p50_ms: r(at(0.5)),
    p99_ms: r(at(0.99)),
    max_ms: r(sorted.at(-1) ?? Number.NaN),
  };
}

async function warmUp(port: number): Promise<void> {
  await sendHostile(port, {
    label: "warm-up",
    path: "/v1/completions",
    body: json({ model: MODEL, prompt: "Item 0:", n: 16, max_tokens: 4, temperature: 1 }),
  });
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const idleProbes = Number(args[0] ?? 200);
  const only = args[1];
  const rows: Array<Record<string, unknown>> = [];

  // The baseline: the server idle.
  {
    const s = await startServe();
    await warmUp(s.port);
    const probes = await startProbes({ port: s.port, count: idleProbes, gapMs: 0 }).done;
    const loop = await stopServe(s);
    rows.push({
      scenario: "idle",
      health: summary(probes.health),
      models: summary(probes.models),
      failures: probes.failures,
      server_loop_delay: loop,
    });
    process.stderr.write(`idle: /health max ${summary(probes.health).max_ms} ms\n`);
  }

  for (const [name, hostile] of Object.entries(scenarios())) {
    if (only !== undefined && !name.includes(only)) continue;
    const s = await startServe();
    await warmUp(s.port);
    const probes = startProbes({ port: s.port, gapMs: PROBE_GAP_MS });
    // Let the probes start before the hostile requests.
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    const outcomes = await Promise.all(hostile.map((h) => sendHostile(s.port, h)));
    const seconds = (performance.now() - t0) / 1000;
    probes.stop();
    const times = await probes.done;
    const loop = await stopServe(s);
    rows.push({
      scenario: name,
      seconds: Number(seconds.toFixed(2)),
      hostile: outcomes.map((o) => `${o.label}: ${o.status} in ${o.ms} ms`),
      health: summary(times.health),
      models: summary(times.models),
      failures: times.failures,
      server_loop_delay: loop,
    });
    process.stderr.write(
      `${name}: /health max ${summary(times.health).max_ms} ms in ${seconds.toFixed(1)} s\n`,
    );
  }

  const idleMax = (rows[0]!["health"] as Summary).max_ms;
  const worst = Math.max(...rows.slice(1).map((r) => (r["health"] as Summary).max_ms));
  return {
    model: MODEL,
    idle_probes: idleProbes,
    scenarios: rows,
    health_max_idle_ms: idleMax,
    health_max_under_load_ms: worst,
    above_idle_ms: Number((worst - idleMax).toFixed(1)),
    target_met: worst - idleMax <= 100,
  };
}
