import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HOST_CALLS } from "../../src/sandbox/host-calls.js";
import { PythonSandbox, pyodideIndexURL, weakestLayers } from "../../src/sandbox/index.js";
import { bubblewrapWorks } from "../../src/sandbox/launch.js";
import { noAnswer, sol } from "./helpers.js";

describe("Python sandbox (an executor process under the OS layers)", { timeout: 180_000 }, () => {
  let sb: PythonSandbox;
  const stillWorks = async () => {
    const r = await sb.run(sol("return 6 * 7"));
    assert.deepEqual(r.ok && [r.valueType, r.value], ["int", "42"]);
  };
  before(async () => {
    sb = new PythonSandbox({ timeoutMs: 2000 });
    await sb.start();
  });
  after(async () => {
    await sb.close();
  });

  it("runs under both layers where bubblewrap works, and says what is missing otherwise", () => {
    const layers = sb.layers();
    assert.equal(layers.permission, true);
    if (bubblewrapWorks(pyodideIndexURL()).ok) assert.equal(layers.namespaces, true);
    if (!layers.namespaces) assert.match(layers.missing.join(" "), /namespaces/);
    else assert.deepEqual(layers.missing, []);
  });

  it("returns what solution() returns, with its printed output", async () => {
    const r = await sb.run(sol("eggs = 16 - 3 - 4\nreturn eggs * 2"));
    assert.ok(r.ok);
    assert.equal(r.value, "18");
    const f = await sb.run(sol("return 1 / 4"));
    assert.ok(f.ok && f.valueType === "float" && f.value === "0.25");
    const p = await sb.run(sol("print('hi')\nreturn 'x'"));
    assert.ok(p.ok && p.stdout === "hi\n", JSON.stringify(p));
    const d = await sb.run(
      sol(
        "return Fraction(3, 4) + Decimal('0.5').__float__()",
        "from fractions import Fraction\nfrom decimal import Decimal",
      ),
    );
    assert.ok(d.ok && d.value === "1.25", JSON.stringify(d));
  });

  it("an exception or a missing solution() is no answer", async () => {
    noAnswer(await sb.run(sol("return 1 / 0")), "exception", /ZeroDivisionError/);
    noAnswer(await sb.run("x = 1"), "exception", /no function solution/);
    noAnswer(await sb.run("def solution(:"), "exception", /SyntaxError/);
    noAnswer(await sb.run(sol("sys.exit(3)", "import sys")), "exception", /SystemExit/);
  });

  it("an infinite loop times out; a warm spare takes over in well under a second", async () => {
    await stillWorks();
    // Give the spare time to load, as it has during a real audit.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const started = sb.executorsStarted;
    const r = await sb.run(sol("while True:\n    pass"));
    noAnswer(r, "timeout");
    assert.ok(r.ms >= 1900 && r.ms < 3000, `${r.ms} ms`);
    const t0 = performance.now();
    await stillWorks();
    const recovery = performance.now() - t0;
    assert.ok(recovery < 1000, `recovery took ${recovery} ms`);
    assert.ok(sb.executorsStarted > started, "a replacement spare was started");
  });

  it("memory grown however is reported as memory", async () => {
    noAnswer(await sb.run(sol("x = bytearray(400 * 1024 * 1024)\nreturn len(x)")), "memory");
    noAnswer(await sb.run(sol("x = []\nwhile True:\n    x.append(bytearray(10 * 1024 * 1024))")), "memory");
    noAnswer(await sb.run(sol("x = [0] * (10 ** 9)\nreturn len(x)")), "memory");
    await stillWorks();
  });

  it("an output flood is stopped and reported as output", async () => {
    const r = await sb.run(sol("while True:\n    print('x' * 1000)"));
    noAnswer(r, "output");
    assert.ok(r.stdout.length <= sb.options.maxOutputChars);
    await stillWorks();
  });

  it("deep recursion is contained", async () => {
    noAnswer(await sb.run(sol("def f(n): return f(n + 1)\nreturn f(0)")), "exception", /RecursionError/);
    const nested = await sb.run(sol("x = []\nfor _ in range(200000):\n    x = [x]\nreturn str(x)"));
    assert.equal(nested.ok, false);
    await stillWorks();
  });

  it("the host-call table lists no bridge to JavaScript objects", () => {
    for (const name of Object.keys(HOST_CALLS))
      assert.doesNotMatch(
        name,
        /^(Js|js|hiwire|pyproxy|raw_call_js|emscripten_asm_const|ffi_|_dlopen|proc_exit)/,
        name,
      );
  });
});

describe("without namespaces (another OS, or bubblewrap missing)", { timeout: 120_000 }, () => {
  it("runs under the permission model alone and says what is missing", async () => {
    const sb = new PythonSandbox({ namespaces: "off" });
    try {
      const layers = await sb.start();
      assert.equal(layers.permission, true);
      assert.equal(layers.namespaces, false);
      assert.match(layers.missing.join("\n"), /^namespaces \(namespaces switched off\)/);
      const r = await sb.run(sol("return 6 * 7"));
      assert.ok(r.ok && r.value === "42", JSON.stringify(r));
      noAnswer(await sb.run(sol("return open('/etc/passwd').read()")), "exception", /FileNotFoundError/);
      noAnswer(await sb.run(sol("return str(js.process)", "import js")), "crash", /blocked host call/);
    } finally {
      await sb.close();
    }
  });

  it("a run's layers are the weakest of its parts", () => {
    const both = { permission: true, namespaces: true, missing: [] };
    const alone = { permission: true, namespaces: false, missing: ["namespaces (x)"] };
    assert.deepEqual(weakestLayers(both, alone), alone);
    assert.deepEqual(weakestLayers(alone, both), alone);
    assert.deepEqual(weakestLayers(null, both), both);
    assert.equal(weakestLayers(null, null), null);
  });
});
