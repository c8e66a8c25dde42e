/**
 * The sandbox's executor: a process of its own (see launch.ts for the OS layers around it) that
 * loads Pyodide once and runs one program per request read from stdin, answering on stdout.
 *
 * Two things keep one program from changing another's result:
 * - Sealed host calls: every WebAssembly import of the interpreter is wrapped at instantiation;
 *   while a program runs, only the imports of host-calls.ts may be called (others stop the program
 *   and this process). No JavaScript object is reachable from Python, so nothing of this process
 *   can be changed by a program, whatever it finds inside the interpreter.
 * - Fresh state: the interpreter's whole memory (and stack pointer and open files) is copied after
 *   setup and written back after every program, so each program starts from the same state.
 *
 * This file imports nothing of litmus but host-calls.js: the permission model lets this process
 * read only its own folder and Pyodide's.
 */
import { constants as fsConstants } from "node:fs";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { EPERM, HOST_CALLS, WRITE_OPEN_FLAGS } from "./host-calls.js";

export interface ExecutorConfig {
  /** Pyodide's folder, with a trailing slash. */
  pyodideDir: string;
  /** Cap on the interpreter's memory, bytes. */
  memoryCapBytes: number;
  /** Output (stdout + stderr) a program may write before it is stopped, bytes. */
  maxOutputBytes: number;
  /** stdout characters kept for the result. */
  maxOutputChars: number;
  /** Memory grown beyond the snapshot after which this process asks to be replaced, bytes. */
  recycleGrowthBytes: number;
}

/** Requests (stdin) and answers (stdout), one JSON object a line. */
export interface ExecRequest {
  id: number;
  code: string;
}

export type ExecAnswer =
  | { type: "ready"; loadMs: number; permission: boolean; snapshotBytes: number }
  | { type: "load-error"; message: string }
  | {
      type: "result";
      id: number;
      ok: true;
      valueType: string;
      value: string;
      stdout: string;
      /** This process ends after answering (memory grew too far, or a call was refused). */
      recycle: boolean;
    }
  | {
      type: "result";
      id: number;
      ok: false;
      reason: "exception" | "memory" | "output" | "crash";
      message: string;
      stdout: string;
      recycle: boolean;
    };

const RECORD_MARK = "\u001e";

const DRIVER = `
import sys, json
import math, fractions, decimal, statistics, datetime, itertools, collections, functools
import re, random, string, operator, time, numbers, heapq, bisect, copy, typing

def _litmus_last_line(e):
    try:
        text = "%s: %s" % (type(e).__name__, e)
    except BaseException:
        text = type(e).__name__
    return text.strip().split("\\n")[-1][:500]

def _litmus_main():
    try:
        with open("/litmus/program.py", encoding="utf-8") as f:
            src = f.read()
        ns = {"__name__": "__solution__"}
        exec(compile(src, "<solution>", "exec"), ns)
        fn = ns.get("solution")
        if not callable(fn):
            raise NameError("the program defines no function solution()")
        r = fn()
        v = repr(r) if isinstance(r, float) else str(r)
        rec = {"ok": True, "type": type(r).__name__, "value": v[:10000]}
    except MemoryError:
        rec = {"ok": False, "kind": "memory", "message": "MemoryError"}
    except BaseException as e:
        rec = {"ok": False, "kind": "exception", "message": _litmus_last_line(e)}
    try:
        sys.stdout.flush()
    except BaseException:
        pass
    sys.__stderr__.write("${RECORD_MARK}" + json.dumps(rec) + "\\n")
    sys.__stderr__.flush()
`;

/** The parts of WebAssembly's Memory and Global used here (no DOM types in this project). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmGlobal {
  value: unknown;
}

type ImportFn = ((...args: unknown[]) => unknown) & { sig?: string };

interface Running {
  blocked: string | null;
  memoryCapHit: boolean;
  outputExceeded: boolean;
  outputBytes: number;
  stdout: string;
  stderrTail: string;
  rng: number;
}

const config = JSON.parse(process.argv[2] ?? "{}") as ExecutorConfig;
const writeAnswer = (a: ExecAnswer) => process.stdout.write(`${JSON.stringify(a)}\n`);
// Nothing but answers may reach stdout.
for (const k of ["log", "info", "warn", "error", "debug"] as const) console[k] = () => undefined;

let run: Running | null = null;
let memory: WasmMemory | null = null;

/** The generator state entropy comes from outside a program (start-up). */
const loadRng = { rng: 0x6a09e667 };

/** Fills random_get's buffer from an xorshift32 generator: the same bytes for the same calls. */
function fillEntropy(state: { rng: number }, args: unknown[]): number {
  const [ptr, len] = args as [number, number];
  const bytes = new Uint8Array(memory!.buffer, ptr >>> 0, len >>> 0);
  for (let i = 0; i < bytes.length; i++) {
    state.rng ^= state.rng << 13;
    state.rng ^= state.rng >>> 17;
    state.rng ^= state.rng << 5;
    bytes[i] = state.rng & 0xff;
  }
  return 0;
}

/** Wraps one import: outside a program it is called as it is; inside, by its rule or not at all. */
function guard(name: string, original: ImportFn): ImportFn {
  const rule = HOST_CALLS[name];
  const refuse = name.startsWith("__syscall") ? -EPERM : EPERM;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const r = run;
    // Entropy is deterministic from start-up on, so every executor's snapshot is the same state.
    if (r === null) return rule === "entropy" ? fillEntropy(loadRng, args) : original.apply(this, args);
    switch (rule) {
      case "allow":
        return original.apply(this, args);
      case "open-read-only":
        return (Number(args[2]) & WRITE_OPEN_FLAGS) !== 0 ? refuse : original.apply(this, args);
      case "write-stdio": {
        const [fd, iov, iovcnt] = args as [number, number, number];
        if (fd !== 1 && fd !== 2) return refuse;
        const words = new Uint32Array(memory!.buffer);
        let bytes = 0;
        for (let i = 0; i < iovcnt; i++) bytes += words[((iov >>> 0) + i * 8 + 4) >>> 2]!;
        r.outputBytes += bytes;
        if (r.outputBytes > config.maxOutputBytes) {
          r.outputExceeded = true;
          throw new Error("output limit reached");
        }
        return original.apply(this, args);
      }
      case "grow-capped":
        if (Number(args[0]) >>> 0 > config.memoryCapBytes) {
          r.memoryCapHit = true;
          return 0;
        }
        return original.apply(this, args);
      case "entropy":
        return fillEntropy(r, args);
      case "eperm":
        return refuse;
      default:
        r.blocked = name;
        throw new Error(`blocked host call: ${name}`);
    }
  } as ImportFn;
  Object.assign(wrapped, original);
  if (original.sig !== undefined) wrapped.sig = original.sig;
  return wrapped;
}

interface Pyodide {
  _module: {
    _malloc(n: number): number;
    _PyRun_SimpleString(ptr: number): number;
    HEAPU8: Uint8Array;
  };
  FS: {
    mkdirTree(path: string): void;
    writeFile(path: string, data: string): void;
    streams: Array<{ position: number } | null>;
  };
  runPython(code: string): unknown;
  setStdout(o: { write(buf: Uint8Array): number }): void;
  setStderr(o: { write(buf: Uint8Array): number }): void;
}

async function load(): Promise<{ py: Pyodide; stackPointer: WasmGlobal }> {
  // Emscripten's NODEFS asks process.binding for the fs constants at start-up, which the
  // permission model refuses; hand it the same constants from node:fs.
  const proc = process as unknown as { binding(name: string): unknown };
  const binding = proc.binding.bind(process);
  proc.binding = (name: string) => (name === "constants" ? { fs: fsConstants } : binding(name));
  const { loadPyodide } = (await import(pathToFileURL(`${config.pyodideDir}pyodide.mjs`).href)) as {
    loadPyodide(o: Record<string, unknown>): Promise<Pyodide>;
  };
  const factory = (
    (await import(pathToFileURL(`${config.pyodideDir}pyodide.asm.mjs`).href)) as {
      default: (settings: Record<string, unknown>) => unknown;
    }
  ).default;
  let stackPointer: WasmGlobal | null = null;
  const createPyodideModule = (settings: Record<string, unknown>) => {
    const instantiate = settings["instantiateWasm"] as (
      imports: Record<string, unknown>,
      ok: unknown,
    ) => unknown;
    settings["instantiateWasm"] = (imports: Record<string, Record<string, unknown>>, ok: unknown) => {
      const env = imports["env"]!;
      // env and wasi_snapshot_preview1 are one object in Emscripten's output; wrap each function once.
      const seen = new Set<unknown>();
      for (const table of [env, imports["wasi_snapshot_preview1"]]) {
        if (!table || seen.has(table)) continue;
        seen.add(table);
        for (const [name, value] of Object.entries(table))
          if (typeof value === "function") table[name] = guard(name, value as ImportFn);
      }
      const received = ok as (instance: { exports: Record<string, unknown> }, module: unknown) => unknown;
      return instantiate(imports, (instance: { exports: Record<string, unknown> }, module: unknown) => {
        memory = instance.exports["memory"] as WasmMemory;
        stackPointer = instance.exports["__stack_pointer"] as WasmGlobal;
        return received(instance, module);
      });
    };
    return factory(settings);
  };
  const py = await loadPyodide({
    indexURL: config.pyodideDir,
    createPyodideModule,
    jsglobals: Object.create(null),
    env: { HOME: "/home/pyodide", PYTHONHASHSEED: "0" },
    stdin: () => null,
    checkAPIVersion: true,
  });
  if (!memory || !stackPointer) throw new Error("the interpreter's memory was not found");
  return { py, stackPointer };
}

function decode(buf: Uint8Array): string {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString("utf8");
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const { py, stackPointer } = await load();
  py.setStdout({
    write(buf) {
      if (run && run.stdout.length < config.maxOutputChars)
        run.stdout += decode(buf).slice(0, config.maxOutputChars - run.stdout.length);
      return buf.length;
    },
  });
  py.setStderr({
    write(buf) {
      if (run) run.stderrTail = (run.stderrTail + decode(buf)).slice(-65536);
      return buf.length;
    },
  });
  py.FS.mkdirTree("/litmus");
  py.FS.writeFile("/litmus/program.py", "def solution():\n    return 0\n");
  py.runPython(DRIVER);
  const command = new TextEncoder().encode("_litmus_main()\0");
  const commandPtr = py._module._malloc(command.length);
  py._module.HEAPU8.set(command, commandPtr);

  // The state every program starts from.
  const snapshot = new Uint8Array(memory!.buffer).slice();
  const snapshotSp = stackPointer.value as number;
  const streams = py.FS.streams.slice();
  const positions = streams.map((s) => s?.position ?? 0);
  const restore = () => {
    const now = new Uint8Array(memory!.buffer);
    now.set(snapshot);
    if (now.length > snapshot.length) now.fill(0, snapshot.length);
    stackPointer.value = snapshotSp;
    py.FS.streams.length = streams.length;
    for (let i = 0; i < streams.length; i++) {
      const s = streams[i] ?? null;
      py.FS.streams[i] = s;
      if (s) s.position = positions[i]!;
    }
  };

  writeAnswer({
    type: "ready",
    loadMs: performance.now() - t0,
    permission: permissionModelActive(),
    snapshotBytes: snapshot.length,
  });

  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    const req = JSON.parse(line) as ExecRequest;
    py.FS.writeFile("/litmus/program.py", req.code);
    const r: Running = {
      blocked: null,
      memoryCapHit: false,
      outputExceeded: false,
      outputBytes: 0,
      stdout: "",
      stderrTail: "",
      rng: 0x2545f491,
    };
    run = r;
    let thrown: string | null = null;
    try {
      py._module._PyRun_SimpleString(commandPtr);
    } catch (e) {
      thrown = e instanceof Error ? e.message : String(e);
    } finally {
      run = null;
    }
    const grown = memory!.buffer.byteLength - snapshot.length;
    restore();
    const recycle = r.blocked !== null || grown > config.recycleGrowthBytes;
    writeAnswer(answerOf(req.id, r, thrown, recycle));
    if (recycle) process.exit(0);
  }
}

/** The answer for one program, from what it wrote and how it stopped. */
function answerOf(id: number, r: Running, thrown: string | null, recycle: boolean): ExecAnswer {
  const base = { type: "result" as const, id, stdout: r.stdout, recycle };
  if (r.blocked !== null)
    return { ...base, ok: false, reason: "crash", message: `blocked host call: ${r.blocked}` };
  if (r.outputExceeded)
    return {
      ...base,
      ok: false,
      reason: "output",
      message: `more than ${config.maxOutputBytes} bytes of output`,
    };
  if (r.memoryCapHit)
    return {
      ...base,
      ok: false,
      reason: "memory",
      message: `memory cap of ${config.memoryCapBytes} bytes reached`,
    };
  if (thrown !== null) {
    const overflow = /call stack|stack overflow/i.test(thrown);
    return {
      ...base,
      ok: false,
      reason: "crash",
      message: overflow ? "stack overflow" : thrown.slice(0, 500),
    };
  }
  const at = r.stderrTail.lastIndexOf(RECORD_MARK);
  const record = at < 0 ? null : parseRecord(r.stderrTail.slice(at + 1));
  if (record === null) return { ...base, ok: false, reason: "crash", message: "the program left no result" };
  if (record.ok) return { ...base, ok: true, valueType: record.type, value: record.value };
  return { ...base, ok: false, reason: record.kind, message: record.message };
}

type DriverRecord =
  | { ok: true; type: string; value: string }
  | { ok: false; kind: "exception" | "memory"; message: string };

function parseRecord(text: string): DriverRecord | null {
  try {
    const r = JSON.parse(text.split("\n")[0]!) as Record<string, unknown>;
    if (r["ok"] === true && typeof r["type"] === "string" && typeof r["value"] === "string")
      return { ok: true, type: r["type"], value: r["value"] };
    if (
      r["ok"] === false &&
      (r["kind"] === "exception" || r["kind"] === "memory") &&
      typeof r["message"] === "string"
    )
      return { ok: false, kind: r["kind"], message: r["message"] };
  } catch {
    // A malformed record is no result.
  }
  return null;
}

/** True when Node's permission model denies this process writes, child processes and workers. */
function permissionModelActive(): boolean {
  const p = (process as unknown as { permission?: { has(scope: string, ref?: string): boolean } }).permission;
  if (!p) return false;
  return !p.has("fs.write") && !p.has("child") && !p.has("worker") && !p.has("fs.read", "/etc/passwd");
}

main().catch((e: unknown) => {
  writeAnswer({ type: "load-error", message: e instanceof Error ? e.message : String(e) });
  process.exit(1);
});
