import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { PythonSandbox, type SandboxResult } from "../../src/sandbox/index.js";

const sol = (body: string, head = "") => `${head}\ndef solution():\n${body.replace(/^/gm, "    ")}\n`;

function noAnswer(r: SandboxResult, reason: string | RegExp, message?: RegExp): void {
  assert.equal(r.ok, false, JSON.stringify(r));
  if (r.ok) return;
  if (typeof reason === "string") assert.equal(r.reason, reason, JSON.stringify(r));
  else assert.match(r.reason, reason);
  if (message) assert.match(r.message, message);
}

describe("Python sandbox (pyodide in a worker)", { timeout: 120_000 }, () => {
  let sb: PythonSandbox;
  const stillWorks = async () => {
    const r = await sb.run(sol("return 6 * 7"));
    assert.deepEqual(r.ok && [r.valueType, r.value], ["int", "42"]);
  };
  before(async () => {
    sb = new PythonSandbox({ timeoutMs: 2000, memoryCapBytes: 256 * 1024 * 1024 });
    await sb.start();
  });
  after(async () => {
    await sb.close();
  });

  it("returns what solution() returns", async () => {
    const r = await sb.run(sol("eggs = 16 - 3 - 4\nreturn eggs * 2"));
    assert.ok(r.ok);
    assert.equal(r.value, "18");
    const f = await sb.run(sol("return 1 / 4"));
    assert.ok(f.ok && f.valueType === "float" && f.value === "0.25");
    const p = await sb.run(sol("print('hi')\nreturn 'x'"));
    assert.ok(p.ok && p.stdout === "hi\n");
  });

  it("an exception or a missing solution() is no answer", async () => {
    noAnswer(await sb.run(sol("return 1 / 0")), "exception", /ZeroDivisionError/);
    noAnswer(await sb.run("x = 1"), "exception", /no function solution/);
    noAnswer(await sb.run("def solution(:"), "exception", /SyntaxError/);
    noAnswer(await sb.run(sol("sys.exit(3)", "import sys")), "exception", /SystemExit/);
  });

  it("an infinite loop times out, the worker is replaced, and the next program runs", async () => {
    const started = sb.workersStarted;
    const r = await sb.run(sol("while True:\n    pass"));
    noAnswer(r, "timeout");
    assert.ok(r.ms >= 1900 && r.ms < 4000, `${r.ms} ms`);
    await stillWorks();
    assert.equal(sb.workersStarted, started + 1);
  });

  it("a huge allocation hits the memory cap", async () => {
    noAnswer(await sb.run(sol("x = bytearray(400 * 1024 * 1024)\nreturn len(x)")), "memory", /MemoryError/);
    noAnswer(await sb.run(sol("x = [0] * (10 ** 9)\nreturn len(x)")), "memory");
    await stillWorks();
  });

  it("sees no host file system", async () => {
    const r = await sb.run(sol("return sorted(os.listdir('/'))", "import os"));
    assert.ok(r.ok);
    for (const host of ["etc", "usr", "work", "root", "bin"])
      assert.ok(!r.value.includes(`'${host}'`), r.value);
    noAnswer(await sb.run(sol("return open('/etc/passwd').read()")), "exception", /FileNotFoundError/);
    noAnswer(
      await sb.run(sol("return open('/work/main/package.json').read()")),
      "exception",
      /FileNotFoundError/,
    );
    noAnswer(
      await sb.run(sol("pyodide_js.mountNodeFS('/mnt', '/')\nreturn 1", "import pyodide_js")),
      "exception",
      /not available/,
    );
    noAnswer(
      await sb.run(
        sol(
          "FS = pyodide_js.FS\nFS.mkdir('/m')\nFS.mount(FS.filesystems.NODEFS, {}, '/m')\nreturn 1",
          "import pyodide_js",
        ),
      ),
      "exception",
      /NODEFS/,
    );
    await stillWorks();
  });

  it("sees no host environment", async () => {
    process.env["LITMUS_SANDBOX_SECRET"] = "s3cret";
    const r = await sb.run(sol("return dict(os.environ)", "import os"));
    assert.ok(r.ok && !r.value.includes("s3cret") && !r.value.includes("/work"), JSON.stringify(r));
    delete process.env["LITMUS_SANDBOX_SECRET"];
  });

  it("cannot reach process or require through js, pyodide_js or eval", async () => {
    noAnswer(await sb.run(sol("return str(js.process.env)", "import js")), "exception", /process/);
    noAnswer(await sb.run(sol("return js.require('fs')", "import js")), "exception", /require/);
    noAnswer(await sb.run(sol("return str(pyodide_js._module.process)", "import pyodide_js")), "exception");
    noAnswer(
      await sb.run(sol("return pyodide_js.runPython.constructor('return process')()", "import pyodide_js")),
      "exception",
      /Function constructor is not available/,
    );
    noAnswer(
      await sb.run(sol("return run_js('process.env')", "from pyodide.code import run_js")),
      "exception",
    );
    await stillWorks();
  });

  it("cannot start processes or open sockets", async () => {
    const marker = `/tmp/litmus-sandbox-${process.pid}`;
    noAnswer(
      await sb.run(sol(`return os.system('touch ${marker}')`, "import os")),
      /crash|exception/,
      /not available/,
    );
    assert.equal(existsSync(marker), false);
    await stillWorks();
    noAnswer(
      await sb.run(sol("s = socket.socket()\ns.connect(('127.0.0.1', 80))\nreturn 1", "import socket")),
      "exception",
    );
    noAnswer(
      await sb.run(sol("import urllib.request\nreturn urllib.request.urlopen('http://127.0.0.1/').read()")),
      "exception",
    );
    noAnswer(await sb.run(sol("os._exit(3)", "import os")), /crash|exception/);
    await stillWorks();
  });

  it("deep recursion is contained", async () => {
    noAnswer(await sb.run(sol("def f(n): return f(n + 1)\nreturn f(0)")), "exception", /RecursionError/);
    await stillWorks();
  });

  it("a program cannot change the next one's builtins or modules", async () => {
    const r = await sb.run(sol("return 1", "import builtins, fractions\nbuiltins.len = lambda x: 99"));
    assert.ok(r.ok);
    const n = await sb.run(sol("return len([1, 2])"));
    assert.ok(n.ok && n.value === "2");
  });
});
