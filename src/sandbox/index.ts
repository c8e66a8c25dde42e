/**
 * Runs untrusted generated Python (`def solution(): ... return answer`) in pyodide inside a worker
 * thread: no host file system, network, environment, processes or module loading; a wall-clock
 * limit enforced by terminating the worker; a memory cap. Every failure is a "no answer" with its
 * reason, and the next program runs in a working interpreter (a fresh worker when needed).
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { Worker } from "node:worker_threads";
import type { WorkerMessage } from "./protocol.js";

export interface SandboxOptions {
  /** Wall-clock limit per program, ms (2000). */
  timeoutMs: number;
  /** Cap on the interpreter's WebAssembly memory, bytes (512 MiB). */
  memoryCapBytes: number;
  /** The worker's JS heap limit, MiB (256). */
  maxOldGenerationSizeMb: number;
  /** How long loading pyodide may take, ms (60000). */
  loadTimeoutMs: number;
  /** stdout + stderr kept per run, characters (4096). */
  maxOutputChars: number;
}

export const DEFAULT_SANDBOX: SandboxOptions = {
  timeoutMs: 2000,
  memoryCapBytes: 512 * 1024 * 1024,
  maxOldGenerationSizeMb: 256,
  loadTimeoutMs: 60_000,
  maxOutputChars: 4096,
};

export type NoAnswerReason = "timeout" | "crash" | "exception" | "memory";

export type SandboxResult =
  | { ok: true; valueType: string; value: string; stdout: string; ms: number }
  | { ok: false; reason: NoAnswerReason; message: string; stdout: string; ms: number };

/** Where the pyodide package lives (loaded from node_modules, never from the network). */
export function pyodideIndexURL(): string {
  return `${dirname(createRequire(import.meta.url).resolve("pyodide/package.json"))}/`;
}

interface Live {
  worker: Worker;
  ready: Promise<void>;
  pending: ((m: WorkerMessage & { type: "result" }) => void) | null;
  onExit: ((why: string) => void) | null;
}

export class PythonSandbox {
  readonly options: SandboxOptions;
  private live: Live | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 0;
  /** Workers started so far (1 + restarts after timeouts and crashes). */
  workersStarted = 0;
  /** Time the last worker took to load pyodide, ms. */
  lastLoadMs = 0;

  constructor(options: Partial<SandboxOptions> = {}) {
    this.options = { ...DEFAULT_SANDBOX, ...options };
  }

  /** Starts the worker now (else the first run does). */
  async start(): Promise<void> {
    await this.ensure().ready;
  }

  /** Runs one program; calls are queued and run one at a time. */
  run(code: string): Promise<SandboxResult> {
    const next = this.queue.then(() => this.runNow(code));
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
    const live = this.live;
    this.live = null;
    if (live) await live.worker.terminate();
  }

  private ensure(): Live {
    if (this.live) return this.live;
    const worker = new Worker(new URL("./worker.js", import.meta.url), {
      workerData: {
        indexURL: pyodideIndexURL(),
        memoryCapBytes: this.options.memoryCapBytes,
        maxOutputChars: this.options.maxOutputChars,
      },
      env: {},
      argv: [],
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: {
        maxOldGenerationSizeMb: this.options.maxOldGenerationSizeMb,
        maxYoungGenerationSizeMb: 32,
      },
    });
    worker.stdout.resume();
    worker.stderr.resume();
    worker.unref();
    this.workersStarted++;
    const live: Live = { worker, ready: Promise.resolve(), pending: null, onExit: null };
    live.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`pyodide did not load within ${this.options.loadTimeoutMs} ms`));
        void worker.terminate();
      }, this.options.loadTimeoutMs);
      worker.on("message", (m: WorkerMessage) => {
        if (m.type === "ready") {
          clearTimeout(timer);
          this.lastLoadMs = m.loadMs;
          resolve();
        } else if (m.type === "load-error") {
          clearTimeout(timer);
          reject(new Error(`pyodide failed to load: ${m.message}`));
        } else if (m.type === "result") {
          live.pending?.(m);
        }
      });
      const died = (why: string) => {
        clearTimeout(timer);
        if (this.live === live) this.live = null;
        reject(new Error(`the sandbox worker stopped while loading: ${why}`));
        live.onExit?.(why);
      };
      worker.on("error", (e) => died(e.message));
      worker.on("exit", (code) => died(`exit code ${code}`));
    });
    live.ready.catch(() => undefined);
    this.live = live;
    return live;
  }

  private async runNow(code: string): Promise<SandboxResult> {
    const live = this.ensure();
    await live.ready;
    const id = this.nextId++;
    const t0 = performance.now();
    const ms = () => performance.now() - t0;
    return new Promise<SandboxResult>((resolve) => {
      let settled = false;
      const finish = (r: SandboxResult, kill: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        live.pending = null;
        live.onExit = null;
        if (kill) {
          if (this.live === live) this.live = null;
          void live.worker.terminate();
        }
        resolve(r);
      };
      const timer = setTimeout(
        () =>
          finish(
            {
              ok: false,
              reason: "timeout",
              message: `no result within ${this.options.timeoutMs} ms`,
              stdout: "",
              ms: ms(),
            },
            true,
          ),
        this.options.timeoutMs,
      );
      live.onExit = (why) => {
        const memory = /memory|heap/i.test(why);
        finish(
          {
            ok: false,
            reason: memory ? "memory" : "crash",
            message: `the worker stopped: ${why}`,
            stdout: "",
            ms: ms(),
          },
          true,
        );
      };
      live.pending = (m) => {
        if (m.id !== id) return;
        if (m.ok)
          finish({ ok: true, valueType: m.valueType, value: m.value, stdout: m.stdout, ms: ms() }, false);
        else {
          const reason: NoAnswerReason = /MemoryError|memory cap/.test(m.message) ? "memory" : m.reason;
          finish({ ok: false, reason, message: m.message, stdout: m.stdout, ms: ms() }, m.fatal);
        }
      };
      live.worker.postMessage({ type: "run", id, code });
    });
  }
}
