/**
 * The sandbox's worker: loads pyodide once, takes away what Python could use to reach the host,
 * then runs one program per message. See README.md for the containment layers.
 */
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
import type { RunMessage, WorkerMessage } from "./protocol.js";

interface SandboxWorkerData {
  indexURL: string;
  memoryCapBytes: number;
  maxOutputChars: number;
}

const data = workerData as SandboxWorkerData;
const port = parentPort!;
const send = (m: WorkerMessage) => port.postMessage(m);

let stdout = "";
const capture = (text: string) => {
  if (stdout.length < data.maxOutputChars)
    stdout += `${text}\n`.slice(0, data.maxOutputChars - stdout.length);
};

const DRIVER = `
import builtins as _b, sys as _s, json as _j, os as _os
for _k in ("_", "LD_LIBRARY_PATH", "PYTHONINSPECT"):
    _os.environ.pop(_k, None)
_litmus_bdict = _b.__dict__
_litmus_builtins = dict(_litmus_bdict)
_litmus_modules = set(_s.modules)

def _litmus_restore():
    _litmus_bdict.clear()
    _litmus_bdict.update(_litmus_builtins)
    for _m in list(_s.modules):
        if _m not in _litmus_modules:
            del _s.modules[_m]

def _litmus_run(code):
    try:
        ns = {"__name__": "__solution__", "__builtins__": _b}
        exec(compile(code, "<solution>", "exec"), ns)
        f = ns.get("solution")
        if not callable(f):
            raise NameError("the program defines no function solution()")
        r = f()
        v = repr(r) if isinstance(r, float) else str(r)
        return _j.dumps([type(r).__name__, v[:10000]])
    finally:
        _litmus_restore()
`;

async function main(): Promise<void> {
  const t0 = performance.now();
  const { loadPyodide } = await import("pyodide");
  const jsGlobals = Object.create(null) as object;
  const py = await loadPyodide({
    indexURL: data.indexURL,
    jsglobals: jsGlobals,
    env: { HOME: "/home/pyodide" },
    stdout: capture,
    stderr: capture,
    stdin: () => null,
    checkAPIVersion: true,
  });
  py.runPython(DRIVER);
  const run = py.globals.get("_litmus_run") as (code: string) => string;

  // 1. No host file systems: only the in-memory one, and no way to mount another.
  const fs = py.FS as unknown as Record<string, unknown> & { filesystems: Record<string, unknown> };
  for (const name of Object.keys(fs.filesystems)) if (name !== "MEMFS") delete fs.filesystems[name];
  const refuse = (what: string) => () => {
    throw new Error(`${what} is not available in the sandbox`);
  };
  fs["mount"] = refuse("mounting a file system");
  const api = py as unknown as Record<string, unknown>;
  for (const key of [
    "mountNodeFS",
    "mountNativeFS",
    "loadPackage",
    "loadPackagesFromImports",
    "pyimport",
    "registerJsModule",
  ]) {
    api[key] = refuse(key);
  }
  // 2. No module loading: the runtime's closure keeps a `require` (child_process for os.system,
  // ws for sockets); every require goes through Module._load.
  const nodeModule = createRequire(import.meta.url)("node:module") as {
    _load: unknown;
    prototype: { require: unknown };
  };
  nodeModule._load = refuse("loading a Node.js module");
  nodeModule.prototype.require = refuse("loading a Node.js module");
  // 3. No code from strings (eval, Function constructors): that is how code could reach import().
  globalThis.eval = refuse("eval");
  for (const fn of [
    Function,
    Object.getPrototypeOf(async () => {}).constructor,
    Object.getPrototypeOf(function* () {}).constructor,
    Object.getPrototypeOf(async function* () {}).constructor,
  ] as Array<{ prototype: object }>) {
    Object.defineProperty(fn.prototype, "constructor", { value: refuse("the Function constructor") });
  }
  // 4. No host globals: process (env, exit, bindings), network, timers beyond what we use.
  const g = globalThis as Record<string, unknown>;
  for (const key of ["process", "require", "fetch", "WebSocket", "XMLHttpRequest", "Buffer", "navigator"]) {
    try {
      delete g[key];
    } catch {
      g[key] = undefined;
    }
  }
  // 5. A memory cap on the interpreter's WebAssembly memory (not counted by resourceLimits).
  interface WasmMemory {
    buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  const memoryProto = (globalThis as unknown as { WebAssembly: { Memory: { prototype: WasmMemory } } })
    .WebAssembly.Memory.prototype;
  const grow = memoryProto.grow;
  memoryProto.grow = function (this: WasmMemory, delta: number): number {
    if (this.buffer.byteLength + delta * 65536 > data.memoryCapBytes)
      throw new RangeError("memory cap reached");
    return grow.call(this, delta);
  };

  send({ type: "ready", loadMs: performance.now() - t0 });
  port.on("message", (m: RunMessage) => {
    stdout = "";
    try {
      const [valueType, value] = JSON.parse(run(m.code)) as [string, string];
      send({ type: "result", id: m.id, ok: true, valueType, value, stdout });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const isPython = (e as { type?: unknown })?.type !== undefined || message.startsWith("Traceback");
      const fatal = /fatal error|has been destroyed|RuntimeError: memory access out of bounds/i.test(message);
      send({
        type: "result",
        id: m.id,
        ok: false,
        reason: isPython && !fatal ? "exception" : "crash",
        message: lastLine(message),
        stdout,
        fatal: fatal || !isPython,
      });
    }
  });
}

function lastLine(message: string): string {
  const lines = message.trim().split("\n");
  return (lines[lines.length - 1] ?? message).slice(0, 500);
}

main().catch((e: unknown) =>
  send({ type: "load-error", message: e instanceof Error ? e.message : String(e) }),
);
