/**
 * Runs untrusted generated Python (`def solution(): ... return answer`) and returns what
 * `solution()` returns, or "no answer" with a reason. Programs run one at a time in an executor
 * process under the operating system's layers (launch.ts); inside it the interpreter's host calls
 * are sealed and its state is restored after every program (executor.ts). Limits are enforced
 * from outside the interpreter: wall time by killing the process (a warm spare takes over), memory
 * and output by the executor's host calls. See README.md for the threat model.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import type { ExecAnswer, ExecutorConfig } from "./executor.js";
import { launchPlan, type NamespaceMode, type SandboxLayers, weakestLayers } from "./launch.js";

export { type SandboxLayers, weakestLayers } from "./launch.js";

export interface SandboxOptions {
  /** Wall-clock limit per program, ms (2000). */
  timeoutMs: number;
  /**
   * Cap on the interpreter's WebAssembly memory, bytes (128 MiB: a 31 MB start-up state plus room
   * no arithmetic program needs; growing wasm memory costs ~4 ms/MB, so a larger cap lets a memory
   * bomb reach the time limit first).
   */
  memoryCapBytes: number;
  /** The executor's JS heap limit, MiB (256). */
  maxOldGenerationSizeMb: number;
  /** How long starting an executor may take, ms (60000). */
  loadTimeoutMs: number;
  /** stdout characters kept per run (4096). */
  maxOutputChars: number;
  /** Output a program may write before it is stopped, bytes (1 MiB). */
  maxOutputBytes: number;
  /** Linux namespaces through bubblewrap: `auto` (when it works), `required`, `off`. */
  namespaces: NamespaceMode;
}

export const DEFAULT_SANDBOX: SandboxOptions = {
  timeoutMs: 2000,
  memoryCapBytes: 128 * 1024 * 1024,
  maxOldGenerationSizeMb: 256,
  loadTimeoutMs: 60_000,
  maxOutputChars: 4096,
  maxOutputBytes: 1024 * 1024,
  namespaces: "auto",
};

export type NoAnswerReason = "timeout" | "crash" | "exception" | "memory" | "output";

export type SandboxResult =
  | { ok: true; valueType: string; value: string; stdout: string; ms: number }
  | { ok: false; reason: NoAnswerReason; message: string; stdout: string; ms: number };

/** Where the pyodide package lives (loaded from node_modules, never from the network). */
export function pyodideIndexURL(): string {
  return `${dirname(createRequire(import.meta.url).resolve("pyodide/package.json"))}/`;
}

/** Memory grown past the snapshot after which an executor is replaced rather than zeroed. */
const RECYCLE_GROWTH_BYTES = 64 * 1024 * 1024;

type ResultAnswer = Extract<ExecAnswer, { type: "result" }>;

interface Executor {
  child: ChildProcess;
  ready: Promise<void>;
  dead: boolean;
  onAnswer: ((a: ResultAnswer) => void) | null;
  onExit: ((why: string) => void) | null;
}

export class PythonSandbox {
  readonly options: SandboxOptions;
  private current: Executor | null = null;
  private spare: Executor | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 0;
  private closed = false;
  private layerInfo: SandboxLayers | null = null;
  /** Executors started so far (the first, spares, replacements). */
  executorsStarted = 0;

  constructor(options: Partial<SandboxOptions> = {}) {
    this.options = { ...DEFAULT_SANDBOX, ...options };
  }

  /** Starts an executor now (else the first run does) and reports the layers it runs under. */
  async start(): Promise<SandboxLayers> {
    const ex = this.take();
    await ex.ready;
    return this.layers();
  }

  /** The layers of the executors started so far, the weakest of them (after start). */
  layers(): SandboxLayers {
    if (!this.layerInfo) throw new Error("the sandbox has not started");
    return this.layerInfo;
  }

  /** The layers, once an executor has started (null before). */
  layersIfStarted(): SandboxLayers | null {
    return this.layerInfo;
  }

  /** Runs one program; calls are queued and run one at a time. */
  run(code: string): Promise<SandboxResult> {
    const next = this.queue.then(() => this.runNow(code));
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    for (const ex of [this.current, this.spare]) if (ex) kill(ex);
    this.current = null;
    this.spare = null;
  }

  /** The executor for the next program: the current one, else the spare, else a new one. */
  private take(): Executor {
    if (this.current && !this.current.dead) return this.current;
    this.current = this.spare && !this.spare.dead ? this.spare : this.spawn();
    this.spare = null;
    // A warm spare makes recovering from a timeout or a recycle cost no load time.
    this.current.ready.then(
      () => {
        if (!this.closed && !this.spare) this.spare = this.spawn();
      },
      () => undefined,
    );
    return this.current;
  }

  private spawn(): Executor {
    const config: ExecutorConfig = {
      pyodideDir: pyodideIndexURL(),
      memoryCapBytes: this.options.memoryCapBytes,
      maxOutputBytes: this.options.maxOutputBytes,
      maxOutputChars: this.options.maxOutputChars,
      recycleGrowthBytes: RECYCLE_GROWTH_BYTES,
    };
    const plan = launchPlan(
      config.pyodideDir,
      JSON.stringify(config),
      this.options.maxOldGenerationSizeMb,
      this.options.namespaces,
    );
    // Its own process group, so a kill reaches everything bubblewrap started.
    const child = spawn(plan.command, plan.args, {
      cwd: plan.cwd,
      env: {},
      stdio: ["pipe", "pipe", "ignore"],
      detached: true,
    });
    this.executorsStarted++;
    const ex: Executor = {
      child,
      ready: Promise.resolve(),
      dead: false,
      onAnswer: null,
      onExit: null,
    };
    ex.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`the sandbox did not start within ${this.options.loadTimeoutMs} ms`));
        kill(ex);
      }, this.options.loadTimeoutMs);
      const lines = createInterface({ input: child.stdout! });
      lines.on("line", (line) => {
        let a: ExecAnswer;
        try {
          a = JSON.parse(line) as ExecAnswer;
        } catch {
          return;
        }
        if (a.type === "ready") {
          clearTimeout(timer);
          this.noteLayers(plan.namespaces, plan.namespacesMissing, a.permission);
          resolve();
        } else if (a.type === "load-error") {
          clearTimeout(timer);
          reject(new Error(`the sandbox failed to start: ${a.message}`));
        } else ex.onAnswer?.(a);
      });
      child.on("error", (e) => {
        clearTimeout(timer);
        ex.dead = true;
        reject(new Error(`the sandbox could not be started: ${e.message}`));
        ex.onExit?.(e.message);
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        ex.dead = true;
        const why = signal ? `signal ${signal}` : `exit code ${code}`;
        reject(new Error(`the sandbox stopped while starting: ${why}`));
        ex.onExit?.(why);
      });
    });
    ex.ready.catch(() => undefined);
    child.stdin!.on("error", () => undefined);
    return ex;
  }

  private noteLayers(namespaces: boolean, namespacesMissing: string | null, permission: boolean): void {
    const missing: string[] = [];
    if (!namespaces)
      missing.push(
        `namespaces (${namespacesMissing ?? "unavailable"}): programs see the host's network and read-only files the permission model allows`,
      );
    if (!permission)
      missing.push(
        "Node's permission model: file reads, writes and child processes are not restricted by Node",
      );
    // The sandbox is only as contained as its least contained executor.
    this.layerInfo = weakestLayers(this.layerInfo, { permission, namespaces, missing });
  }

  private async runNow(code: string): Promise<SandboxResult> {
    const ex = this.take();
    await ex.ready;
    const id = this.nextId++;
    const t0 = performance.now();
    const ms = () => performance.now() - t0;
    return new Promise<SandboxResult>((resolve) => {
      let settled = false;
      const finish = (r: SandboxResult, discard: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ex.onAnswer = null;
        ex.onExit = null;
        if (discard) {
          kill(ex);
          if (this.current === ex) this.current = null;
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
      ex.onExit = (why) =>
        finish(
          {
            ok: false,
            reason: /memory|heap/i.test(why) ? "memory" : "crash",
            message: `the sandbox stopped: ${why}`,
            stdout: "",
            ms: ms(),
          },
          true,
        );
      ex.onAnswer = (a) => {
        if (a.id !== id) return;
        const r: SandboxResult = a.ok
          ? { ok: true, valueType: a.valueType, value: a.value, stdout: a.stdout, ms: ms() }
          : { ok: false, reason: a.reason, message: a.message, stdout: a.stdout, ms: ms() };
        finish(r, a.recycle);
      };
      ex.child.stdin!.write(`${JSON.stringify({ id, code })}\n`);
    });
  }
}

function kill(ex: Executor): void {
  ex.dead = true;
  const pid = ex.child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    try {
      ex.child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
}
