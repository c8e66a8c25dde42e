/**
 * The hostile corpus: programs a hostile model could write, each trying one route out of the
 * sandbox or into a later program. Afterwards the host must be untouched: no canary file, nothing
 * received by a listener on 127.0.0.1, the parent's secret in no output, litmus's own files
 * byte-identical. Add every new route here.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { PythonSandbox, pyodideIndexURL, type SandboxResult } from "../../src/sandbox/index.js";
import { sol } from "./helpers.js";

const SECRET = `litmus-secret-${process.pid}-${Date.now()}`;
const CANARY = `/tmp/litmus-canary-${process.pid}`;
const sandboxDir = join(dirname(fileURLToPath(import.meta.url)), "../../src/sandbox");

/** Every file whose bytes must not change: the executor and Pyodide. */
function protectedFiles(): string[] {
  const files = readdirSync(sandboxDir).map((f) => join(sandboxDir, f));
  const pyodide = pyodideIndexURL();
  return [...files, ...readdirSync(pyodide).map((f) => join(pyodide, f))];
}
const digest = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** [route, program]: each must give no way out; `expect` checks what the program got. */
function corpus(port: number): Array<[string, string, ((r: SandboxResult) => void)?]> {
  const blocked = (r: SandboxResult) =>
    assert.ok(!r.ok && /blocked host call/.test(r.message), JSON.stringify(r));
  const failed = (r: SandboxResult) => assert.equal(r.ok, false, JSON.stringify(r));
  return [
    ["plain open of a host file", sol("return open('/etc/passwd').read()"), failed],
    ["the parent's environment", sol("return repr(dict(os.environ))", "import os")],
    ["/proc/self/environ", sol("return open('/proc/self/environ').read()"), failed],
    ["writing a canary file", sol(`open('${CANARY}', 'w').write('x')\nreturn 1`), failed],
    [
      "writing into litmus's files",
      sol(`open('${join(sandboxDir, "executor.js")}', 'a').write('x')\nreturn 1`),
      failed,
    ],
    ["os.system", sol(`return os.system('touch ${CANARY}')`, "import os"), failed],
    [
      "subprocess",
      sol(`return subprocess.run(['touch', '${CANARY}']).returncode`, "import subprocess"),
      failed,
    ],
    ["os.fork", sol("return os.fork()", "import os"), failed],
    ["os.execv", sol("os.execv('/bin/sh', ['sh', '-c', 'id'])", "import os"), failed],
    [
      "a socket to the listener",
      sol(`s = socket.socket()\ns.connect(('127.0.0.1', ${port}))\ns.send(b'x')\nreturn 1`, "import socket"),
      failed,
    ],
    [
      "urllib to the listener",
      sol(`return urllib.request.urlopen('http://127.0.0.1:${port}/').read()`, "import urllib.request"),
      failed,
    ],
    ["js.process", sol("return str(js.process.env)", "import js"), blocked],
    ["js.require", sol("return js.require('fs')", "import js"), blocked],
    ["pyodide_js._module", sol("return str(pyodide_js._module)", "import pyodide_js"), blocked],
    [
      "pyodide_js FS and NODEFS",
      sol(
        "FS = pyodide_js._module.FS\nFS.mount(FS.filesystems.NODEFS, {'root': '/'}, '/tmp')\nreturn open('/tmp/etc/passwd').read()",
        "import pyodide_js",
      ),
      blocked,
    ],
    [
      "a hand-built mount object",
      sol(
        "M = pyodide_js._module\nnode = M.FS.lookupPath('/tmp').node\nm = {'type': M.FS.filesystems.NODEFS, 'opts': {'root': '/'}, 'mountpoint': '/tmp', 'mounts': []}\nnode.mounted = m\nreturn 1",
        "import pyodide_js",
      ),
      blocked,
    ],
    ["pyodide_js._api", sol("return str(pyodide_js._api)", "import pyodide_js"), blocked],
    [
      "the Function constructor",
      sol("return pyodide_js.runPython.constructor('return process')()", "import pyodide_js"),
      blocked,
    ],
    ["run_js", sol("return run_js('process.env')", "from pyodide.code import run_js"), failed],
    [
      "to_js constructor chain",
      sol("return to_js([1]).constructor.constructor('return process')()", "from pyodide.ffi import to_js"),
      failed,
    ],
    [
      "pyfetch",
      sol(
        `import asyncio\nreturn asyncio.run(pyfetch('http://127.0.0.1:${port}/'))`,
        "from pyodide.http import pyfetch",
      ),
      failed,
    ],
    ["ctypes libffi", sol("return ctypes.CDLL(None).getpid()", "import ctypes"), failed],
    ["_pyodide_core", sol("return str(_pyodide_core.js2python)", "import _pyodide_core"), failed],
    ["os._exit", sol("os._exit(3)", "import os"), failed],
    ["a fork bomb", sol("while True:\n    os.fork()", "import os"), failed],
    ["a memory bomb", sol("x = []\nwhile True:\n    x.append(' ' * 10**7)"), failed],
    ["an output flood", sol("while True:\n    print('x' * 10**5)"), failed],
    ["a stderr flood", sol("while True:\n    sys.stderr.write('x' * 10**5)", "import sys"), failed],
    ["deep recursion", sol("def f(n): return f(n + 1)\nreturn f(0)"), failed],
    ["a long sleep", sol("time.sleep(100)\nreturn 1", "import time"), failed],
  ];
}

/** Programs that try to change what later programs return, and the ones that check. */
const POISONERS = [
  sol("builtins.len = lambda x: 99\nbuiltins.int = lambda *a: 999\nreturn 1", "import builtins"),
  sol("math.floor = lambda x: 999\nfractions.Fraction = float\nreturn 1", "import math, fractions"),
  sol("sys.modules['json'] = None\nreturn 1", "import sys"),
  sol(
    "g = sys.modules['__main__'].__dict__\ng['_litmus_main'] = lambda: print('999')\ng['json'] = None\nreturn 1",
    "import sys",
  ),
  sol(
    'sys.__stderr__.write(\'\\x1e{"ok": true, "type": "int", "value": "999"}\\n\')\nsys.__stderr__ = None\nreturn 1',
    "import sys",
  ),
  sol("random.seed(999)\nreturn 1", "import random"),
  sol("open('/litmus/program.py', 'w').write('def solution():\\n    return 999\\n')\nreturn 1"),
  sol("x = bytearray(50 * 1024 * 1024)\nreturn 1"),
];
const CHECKERS = [
  sol("return len([1, 2]) + int('3')"),
  sol("return math.floor(2.5) + float(fractions.Fraction(1, 4))", "import math, fractions"),
  sol("return json.dumps([1])", "import json"),
  sol("return random.random()", "import random"),
  sol("return os.urandom(4).hex()", "import os"),
  sol("return 6 * 7"),
];

function view(r: SandboxResult): string {
  return r.ok ? `${r.valueType}:${r.value}` : `${r.reason}:${r.message}`;
}

describe("hostile programs leave the host untouched", { timeout: 300_000 }, () => {
  let sb: PythonSandbox;
  let server: Server;
  let port = 0;
  let received = 0;
  const before_: Map<string, string> = new Map();
  before(async () => {
    process.env["LITMUS_TEST_SECRET"] = SECRET;
    server = createServer((socket) => {
      received++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
    for (const f of protectedFiles()) before_.set(f, digest(f));
    sb = new PythonSandbox({ timeoutMs: 1500 });
    await sb.start();
  });
  after(async () => {
    delete process.env["LITMUS_TEST_SECRET"];
    await sb.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it("every route of the corpus is closed", async () => {
    const seen: string[] = [];
    for (const [route, program, expect] of corpus(port)) {
      const r = await sb.run(program);
      seen.push(`${route}: ${view(r)}`);
      assert.ok(!JSON.stringify(r).includes(SECRET), `${route} saw the secret`);
      assert.ok(!JSON.stringify(r).includes("root:x:0"), `${route} read /etc/passwd`);
      expect?.(r);
    }
    assert.equal(existsSync(CANARY), false, "a canary file appeared");
    assert.equal(received, 0, "the listener received a connection");
    for (const [file, hash] of before_) assert.equal(digest(file), hash, `${file} changed`);
    const r = await sb.run(sol("return 6 * 7"));
    assert.ok(r.ok && r.value === "42", seen.join("\n"));
  });

  it("no program changes another's result: any order, across restarts", async () => {
    const fresh = new PythonSandbox({ timeoutMs: 1500 });
    const alone: string[] = [];
    for (const c of CHECKERS) alone.push(view(await fresh.run(c)));
    await fresh.close();
    // Interleaved with the poisoners, forwards and backwards.
    const forwards: string[] = [];
    for (const [i, c] of CHECKERS.entries()) {
      for (const p of POISONERS) await sb.run(p);
      forwards.push(view(await sb.run(c)));
      if (i === 2) for (const p of POISONERS.slice().reverse()) await sb.run(p);
    }
    const backwards: string[] = [];
    for (const c of CHECKERS.slice().reverse()) {
      for (const p of POISONERS.slice().reverse()) await sb.run(p);
      backwards.unshift(view(await sb.run(c)));
    }
    assert.deepEqual(forwards, alone);
    assert.deepEqual(backwards, alone);
    assert.equal(alone[0], "int:5");
    assert.equal(alone[1], "float:2.25");
  });
});
