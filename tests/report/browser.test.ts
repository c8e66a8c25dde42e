/**
 * The report in headless Chromium (Debian's /usr/bin/chromium via playwright-core): no console
 * errors, no network requests (every request is routed; only the page itself is served), every
 * chart drawn, filters and drill-down work, hostile data runs no script. Skipped, saying so, when
 * /usr/bin/chromium is absent.
 */
import assert from "node:assert/strict";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { buildModel, compareModels, loadRun, renderHtml } from "../../src/report/index.js";
import { artifactsDir, CHROMIUM, CHROMIUM_ARGS, HAVE_CHROMIUM, makeRunDir } from "./helpers.js";

const URL_ = "http://litmus.test/report.html";

/** The page's globals, as seen from predicates (functions run in the page, not eval'd strings: the CSP forbids eval). */
interface PageGlobals {
  document: {
    documentElement: { dataset: Record<string, string | undefined> };
    querySelectorAll(selector: string): { length: number };
  };
}

async function waitRows(page: Page, test: (n: number) => boolean, label: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (test(await page.locator("#drill-body tr.problem").count())) return;
    await page.waitForTimeout(20);
  }
  throw new Error(`rows never matched: ${label}`);
}
const SKIP = HAVE_CHROMIUM
  ? false
  : `${CHROMIUM} is absent: browser tests skipped (apt-get install chromium)`;
if (SKIP) process.stderr.write(`litmus report tests: ${SKIP}\n`);

interface ClickableDoc {
  document: { querySelectorAll(selector: string): Iterable<{ click(): void; open: boolean }> };
}

interface Opened {
  page: Page;
  errors: string[];
  requests: string[];
}

async function open(browser: Browser, html: string, scheme: "light" | "dark" = "light"): Promise<Opened> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, colorScheme: scheme });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("dialog", (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.route("**/*", async (route) => {
    if (route.request().url() === URL_)
      await route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html });
    else {
      requests.push(route.request().url());
      await route.abort();
    }
  });
  await page.goto(URL_, { waitUntil: "load" });
  await page.waitForFunction(
    () => (globalThis as unknown as PageGlobals).document.documentElement.dataset["ready"] === "1",
    null,
    {
      timeout: 15_000,
    },
  );
  return { page, errors, requests };
}

/** Share of non-transparent pixels of every chart canvas, by id. */
async function canvasInk(page: Page): Promise<Record<string, number>> {
  return (await page.evaluate(`(() => {
    const out = {};
    for (const c of document.querySelectorAll("canvas")) {
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) ink++;
      out[c.id] = ink / (d.length / 4);
    }
    return out;
  })()`)) as Record<string, number>;
}

describe("report in headless Chromium", { skip: SKIP }, () => {
  let browser: Browser;
  let dir = "";
  let hostileDir = "";
  let shots = "";
  before(async () => {
    const { chromium } = await import("playwright-core");
    [browser, dir, hostileDir, shots] = await Promise.all([
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
      makeRunDir(40, { detectors: true }),
      makeRunDir(9, { hostile: true }),
      artifactsDir(),
    ]);
  });
  after(async () => {
    await browser?.close();
    await Promise.all([dir, hostileDir].map((d) => rm(d, { recursive: true, force: true })));
    process.stderr.write(`litmus report tests: screenshots in ${shots}\n`);
  });

  test("renders without errors or requests; every chart drawn; filter and drill-down work", async () => {
    const run = loadRun(dir);
    const html = renderHtml(buildModel(run.summary, run.run, { modelPath: "models/phi-1_5" }));
    const { page, errors, requests } = await open(browser, html);
    const ink = await canvasInk(page);
    assert.ok(Object.keys(ink).length >= 7, `charts: ${Object.keys(ink).join(", ")}`);
    for (const [id, share] of Object.entries(ink)) assert.ok(share > 0.01, `${id} is blank (${share})`);

    const rows = () => page.locator("#drill-body tr.problem").count();
    assert.equal(await rows(), 40);
    await page.selectOption("#f-verdict", "memorized");
    await waitRows(page, (n) => n < 40, "< 40");
    const verdicts = await page.locator("#drill-body tr.problem td:nth-child(2)").allTextContents();
    assert.ok(verdicts.length > 0 && verdicts.every((v) => v === "memorized"), verdicts.join(","));
    await page.selectOption("#f-verdict", "");
    await page.fill("#f-search", "made-up:7");
    await waitRows(page, (n) => n === 1, "1");

    await page.locator("#drill-body tr.problem").first().click();
    const detail = page.locator("#drill-body tr.detail");
    assert.equal(await detail.count(), 1);
    assert.ok((await detail.locator(".unit.variant").count()) >= 1);
    assert.ok((await detail.locator("mark.ins").count()) >= 1, "edits highlighted");
    assert.ok((await detail.locator(".badge.s-0, .badge.s-1, .badge.s-2").count()) >= 1);
    await detail.locator("details.samples > summary").first().click();
    await detail.locator("details.samples pre").first().waitFor();
    assert.ok((await detail.locator("details.samples pre").count()) >= 4);
    await page.screenshot({ path: join(shots, "drilldown.png"), fullPage: false });
    await page.fill("#f-search", "");
    await waitRows(page, (n) => n === 40, "40");
    await page.screenshot({ path: join(shots, "report.png"), fullPage: true });
    await page.close();

    const dark = await open(browser, html, "dark");
    await dark.page.screenshot({ path: join(shots, "report-dark.png") });
    await dark.page.close();
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
    assert.deepEqual(dark.errors, []);
  });

  for (const [name, options] of [
    ["escaping alone (no CSP), JSON embedding", { csp: false, compress: false }],
    ["with CSP, gzip embedding", { csp: true, compress: true }],
  ] as const) {
    test(`hostile questions and completions run no script: ${name}`, async () => {
      const run = loadRun(hostileDir);
      const html = renderHtml(buildModel(run.summary, run.run), options);
      const { page, errors, requests } = await open(browser, html);
      // expand every problem and every sample list, so all hostile text is in the DOM
      await page.evaluate(() => {
        const doc = (globalThis as unknown as ClickableDoc).document;
        for (const row of doc.querySelectorAll("#drill-body tr.problem")) row.click();
        for (const d of doc.querySelectorAll("details.samples")) d.open = true;
      });
      await page.locator("details.samples pre").first().waitFor();
      await page.waitForTimeout(100);
      assert.equal(await page.evaluate("typeof window.__pwned"), "undefined");
      assert.equal(await page.evaluate("typeof parent.__pwned"), "undefined");
      assert.equal(
        await page.locator("#drill img, #drill svg, #drill iframe, #drill script, #drill a").count(),
        0,
      );
      const text = await page.locator("#drill").textContent();
      assert.ok(
        text?.includes("</script><script>window.__pwned = 'breakout'</script>"),
        "hostile text shown as text",
      );
      assert.ok(text?.includes("<img src=x onerror="));
      assert.deepEqual(requests, []);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }

  test("comparison report: both runs side by side", async () => {
    const a = loadRun(dir);
    const b = loadRun(hostileDir);
    const model = buildModel(a.summary, a.run);
    const comparison = compareModels(model, buildModel(b.summary, null));
    const { page, errors, requests } = await open(browser, renderHtml(model, { comparison }));
    assert.ok((await page.locator("table.compare tbody tr").count()) >= 10);
    const ink = await canvasInk(page);
    assert.ok((ink["chart-compare-accuracy"] ?? 0) > 0.01);
    await page.check("#f-changed");
    await page.waitForTimeout(50);
    await page.screenshot({ path: join(shots, "compare.png") });
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
    await page.close();
  });
});

export async function ensureDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
}
