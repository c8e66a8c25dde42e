/**
 * The report for any screen and any reader, in headless Chromium (Debian's /usr/bin/chromium via
 * playwright-core), on a report built from a real (synthetic) run: the verdict first; no sideways
 * page scroll and nothing cut off from 360 px up; charts that follow the viewport; axe-core finds
 * no serious or critical violation (1280, 400 and 360 px, dark scheme, a problem expanded);
 * contrast of what axe does not measure (chart colours, focus rings, control borders); headings
 * in order; every control reachable and usable by keyboard with a visible focus ring; a data table
 * behind every chart. Screenshots go to $LITMUS_TEST_ARTIFACTS or test-artifacts/.
 * Skipped, saying so, when /usr/bin/chromium is absent.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { buildModel, compareModels, loadRun, renderHtml } from "../../src/report/index.js";
import { artifactsDir, CHROMIUM, CHROMIUM_ARGS, HAVE_CHROMIUM, makeRunDir, openReport } from "./helpers.js";

const SKIP = HAVE_CHROMIUM
  ? false
  : `${CHROMIUM} is absent: accessibility tests skipped (apt-get install chromium)`;
if (SKIP) process.stderr.write(`litmus report a11y tests: ${SKIP}\n`);

/** An unbroken string far wider than a phone: it must wrap, not widen the page or be cut off. */
const LONG = `https://example.invalid/${"a1b2c3d4e5".repeat(30)}`;
const NARROW = [360, 400] as const;

// ---------------------------------------------------------------------------------------------
// WCAG 2.1 contrast (relative luminance of sRGB colours), computed here from the page's own colours

type Rgb = [number, number, number];

function parseColor(text: string): Rgb {
  const hex = /^#([0-9a-f]{6})$/i.exec(text.trim());
  if (hex) {
    const n = Number.parseInt(hex[1]!, 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  const rgb = /^rgba?\(\s*([\d.]+)[ ,]+([\d.]+)[ ,]+([\d.]+)(?:\s*[,/]\s*([\d.]+))?\s*\)$/.exec(text.trim());
  if (!rgb) throw new Error(`not a colour: ${text}`);
  if (rgb[4] !== undefined && Number(rgb[4]) < 1) throw new Error(`translucent colour: ${text}`);
  return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
}

function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(parseColor(a)), luminance(parseColor(b))].sort((x, y) => y - x) as [
    number,
    number,
  ];
  return (hi + 0.05) / (lo + 0.05);
}

// ---------------------------------------------------------------------------------------------
// In-page scripts (strings: the repository's TypeScript has no DOM types)

/** Expands the first problem, every sample list, the run details and every chart's data table. */
const EXPAND_ALL = `(() => {
  document.querySelector("#drill-body tr.problem").click();
  for (const d of document.querySelectorAll("details")) d.open = true;
})()`;

/**
 * Elements under ROOT that are cut off: content clipped by a hidden overflow, or an edge outside
 * the viewport (or outside the clipping box it sits in). A scrolling box inside ROOT keeps what it
 * holds reachable; a scrolling box around ROOT does not count (the text must be visible as laid out).
 */
const CLIPPED = (root: string) => `(() => {
  const root = document.querySelector(${JSON.stringify(root)});
  if (!root) return ["no element " + ${JSON.stringify(root)}];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const out = [];
  for (const el of [root, ...root.querySelectorAll("*")]) {
    if (el.closest(".visually-hidden")) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const cs = getComputedStyle(el);
    if ((cs.overflowX === "hidden" || cs.overflowX === "clip") && el.scrollWidth > el.clientWidth + 1)
      out.push(name(el) + " clips its content: " + el.scrollWidth + " > " + el.clientWidth);
    let left = 0, right = innerWidth, scrolls = false;
    for (let a = el.parentElement; a && a !== root.parentElement; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === "visible") continue;
      if (ox === "auto" || ox === "scroll") { scrolls = true; break; }
      const b = a.getBoundingClientRect();
      left = Math.max(left, b.left); right = Math.min(right, b.right);
    }
    if (!scrolls && (r.right > right + 1 || r.left < left - 1))
      out.push(name(el) + " reaches " + Math.round(r.left) + ".." + Math.round(r.right) + " of " + Math.round(left) + ".." + Math.round(right));
  }
  return out;
})()`;

const AXE_RUN = `axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({
  id: v.id, impact: v.impact, help: v.help,
  nodes: v.nodes.slice(0, 4).map((n) => n.target.join(" ") + " :: " + (n.failureSummary || "").replace(/\\s+/g, " ")),
})))`;

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

// ---------------------------------------------------------------------------------------------

describe("report: every screen width and every reader (headless Chromium)", { skip: SKIP }, () => {
  let browser: Browser;
  let dir = "";
  let baseDir = "";
  let html = "";
  let compareHtml = "";
  let shots = "";
  let axeSource = "";

  before(async () => {
    const { chromium } = await import("playwright-core");
    const require = createRequire(import.meta.url);
    axeSource = readFileSync(join(dirname(require.resolve("axe-core")), "axe.min.js"), "utf8");
    [browser, dir, baseDir, shots] = await Promise.all([
      chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
      makeRunDir(12, {
        detectors: true,
        mapQuestion: (q) => `${q} See ${LONG} for details.`,
        completionText: (_r, _sample, text) => `${text} (from ${LONG})`,
      }),
      makeRunDir(12, { seed: 7 }),
      artifactsDir(),
    ]);
    const run = loadRun(dir);
    const model = buildModel(run.summary, run.run, {
      modelPath: `models/${"very-long-model-name-".repeat(8)}onnx`,
    });
    html = renderHtml(model);
    const base = loadRun(baseDir);
    compareHtml = renderHtml(model, { comparison: compareModels(model, buildModel(base.summary, null)) });
  });
  after(async () => {
    await browser?.close();
    await Promise.all([dir, baseDir].map((d) => rm(d, { recursive: true, force: true })));
    process.stderr.write(`litmus report a11y tests: screenshots in ${shots}\n`);
  });

  async function context(width: number, options: { dark?: boolean; bypassCSP?: boolean } = {}) {
    return browser.newContext({
      viewport: { width, height: width < 600 ? 740 : 900 },
      colorScheme: options.dark ? "dark" : "light",
      // Only here, to inject axe: the shipped report keeps its CSP (checked below).
      bypassCSP: options.bypassCSP === true,
    });
  }

  async function expandAll(page: Page): Promise<void> {
    await page.evaluate(EXPAND_ALL);
    await page.locator("#drill-body tr.detail details.samples pre").first().waitFor();
  }

  test("the verdict comes first, in the first screen; the run details are collapsed beneath it", async () => {
    for (const width of [1280, 360]) {
      const ctx = await context(width);
      const { page } = await openReport(ctx, html);
      const layout = (await page.evaluate(`(() => {
        const h1 = document.querySelector("h1");
        const firstH2 = document.querySelector("h2");
        const meta = document.querySelector("details.run-meta");
        const headline = document.querySelector("#headline");
        return {
          h2InHeadline: headline.contains(firstH2),
          headlineBottom: firstH2.getBoundingClientRect().bottom,
          metaAfterHeadline: !!(headline.compareDocumentPosition(meta) & Node.DOCUMENT_POSITION_FOLLOWING),
          metaBeforeProbes: !!(meta.compareDocumentPosition(document.querySelector("#probes")) & Node.DOCUMENT_POSITION_FOLLOWING),
          metaOpen: meta.open,
          metaHoldsModel: meta.querySelector("dl.meta").textContent.includes("very-long-model-name"),
          h1BeforeHeadline: !!(h1.compareDocumentPosition(headline) & Node.DOCUMENT_POSITION_FOLLOWING),
          height: innerHeight,
        };
      })()`)) as Record<string, number | boolean>;
      assert.equal(layout["h2InHeadline"], true, `${width}: the first h2 is the verdict`);
      assert.ok(
        (layout["headlineBottom"] as number) <= (layout["height"] as number),
        `${width}: verdict ends at ${layout["headlineBottom"]} px, below the first screen`,
      );
      assert.equal(layout["h1BeforeHeadline"], true);
      assert.equal(layout["metaAfterHeadline"], true, `${width}: run details after the verdict`);
      assert.equal(layout["metaBeforeProbes"], true);
      assert.equal(layout["metaOpen"], false, `${width}: run details collapsed`);
      assert.equal(layout["metaHoldsModel"], true);
      await ctx.close();
    }
  });

  for (const width of NARROW) {
    test(`${width} px: no sideways page scroll; the expanded problem and long strings are fully visible`, async () => {
      const ctx = await context(width);
      const { page, errors, requests } = await openReport(ctx, html);
      await expandAll(page);
      const fit = (await page.evaluate(
        "({ scroll: document.documentElement.scrollWidth, inner: innerWidth, drill: document.querySelector('#drill .scroll').scrollWidth - document.querySelector('#drill .scroll').clientWidth })",
      )) as { scroll: number; inner: number; drill: number };
      assert.ok(fit.scroll <= fit.inner, `page is ${fit.scroll} px wide in a ${fit.inner} px viewport`);
      assert.ok(fit.drill <= 1, `the problem table scrolls sideways by ${fit.drill} px`);

      const detail = await page.locator("#drill-body tr.detail").textContent();
      assert.ok(detail?.includes(LONG), "the expanded problem holds the long unbroken string");
      assert.deepEqual(await page.evaluate(CLIPPED("#drill-body tr.detail")), []);
      assert.deepEqual(await page.evaluate(CLIPPED("header")), []);
      assert.deepEqual(await page.evaluate(CLIPPED("#headline")), []);
      assert.deepEqual(await page.evaluate(CLIPPED("details.run-meta")), []);
      assert.deepEqual(await page.evaluate(CLIPPED("#charts")), []);

      const canvases = (await page.evaluate(
        "[...document.querySelectorAll('canvas')].map((c) => { const r = c.getBoundingClientRect(); return [r.left, r.right, r.width]; })",
      )) as Array<[number, number, number]>;
      assert.ok(canvases.length >= 5);
      for (const [l, r, w] of canvases) assert.ok(l >= 0 && r <= width && w > width / 2, `canvas ${l}..${r}`);

      await page.screenshot({ path: join(shots, `report-${width}.png`), fullPage: true });
      await page.locator("#drill-body tr.detail").scrollIntoViewIfNeeded();
      // Content scrolled to (content-visibility: auto) is painted a frame or two later.
      await page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))");
      await page.screenshot({ path: join(shots, `drilldown-${width}.png`) });
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, []);
      await ctx.close();
    });
  }

  test("charts follow the viewport: narrower at 400 px, wide again at 1280 px", async () => {
    const ctx = await context(1280);
    const { page } = await openReport(ctx, html);
    const widths = async () =>
      (await page.evaluate(
        "[...document.querySelectorAll('canvas')].map((c) => c.getBoundingClientRect().width)",
      )) as number[];
    const wide = await widths();
    await page.screenshot({ path: join(shots, "report-1280.png"), fullPage: true });
    await page.setViewportSize({ width: 400, height: 800 });
    let narrow = wide;
    for (let i = 0; i < 100 && narrow.some((w) => w > 400); i++) {
      await page.waitForTimeout(30);
      narrow = await widths();
    }
    assert.ok(
      wide.every((w) => w > 400),
      `at 1280 px: ${wide.map(Math.round).join(", ")}`,
    );
    assert.ok(
      narrow.every((w) => w > 200 && w <= 400 - 24),
      `at 400 px: ${narrow.map(Math.round).join(", ")}`,
    );
    const scroll = (await page.evaluate("document.documentElement.scrollWidth")) as number;
    assert.ok(scroll <= 400, `page ${scroll} px wide after the resize`);
    await ctx.close();
  });

  const AXE_CASES: Array<[string, number, boolean, boolean]> = [
    ["1280 px, light", 1280, false, false],
    ["1280 px, dark", 1280, true, false],
    ["400 px, light", 400, false, false],
    ["360 px, light", 360, false, false],
    ["360 px, dark", 360, true, false],
    ["1280 px, comparison report", 1280, false, true],
    ["360 px, comparison report", 360, false, true],
  ];
  for (const [name, width, dark, comparing] of AXE_CASES) {
    test(`axe-core: no serious or critical violation at ${name}, a problem expanded`, async () => {
      const ctx = await context(width, { dark, bypassCSP: true });
      const { page } = await openReport(ctx, comparing ? compareHtml : html);
      if (comparing) {
        assert.ok((await page.locator("table.compare tbody tr").count()) >= 10, "comparison tables shown");
        const wide = (await page.evaluate("document.documentElement.scrollWidth")) as number;
        assert.ok(wide <= width, `comparison page ${wide} px wide at ${width} px`);
      }
      await expandAll(page);
      await page.addScriptTag({ content: axeSource });
      const violations = (await page.evaluate(AXE_RUN)) as Violation[];
      const severe = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      assert.deepEqual(severe, [], JSON.stringify(severe, null, 1));
      // The rules this page is meant to pass outright, whatever axe's impact rating.
      const must = ["heading-order", "page-has-heading-one", "landmark-one-main", "region", "html-has-lang"];
      assert.deepEqual(
        violations.filter((v) => must.includes(v.id)),
        [],
      );
      await ctx.close();
    });
  }

  test("the shipped report keeps its CSP: a script the page did not hash does not run", async () => {
    assert.match(html, /Content-Security-Policy" content="default-src 'none'; script-src 'sha256-/);
    const ctx = await context(1280);
    const { page } = await openReport(ctx, html);
    await page.addScriptTag({ content: "window.__injected = 1" }).catch(() => null);
    assert.equal(await page.evaluate("typeof window.__injected"), "undefined");
    await ctx.close();
  });

  test("headings in order with one h1; landmarks and a language, a problem expanded", async () => {
    const ctx = await context(1280);
    const { page } = await openReport(ctx, html);
    await expandAll(page);
    const facts = (await page.evaluate(`({
      levels: [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")].map((h) => Number(h.tagName[1])),
      lang: document.documentElement.lang,
      mains: document.querySelectorAll("main").length,
      header: document.querySelectorAll("body > header").length,
      units: document.querySelectorAll("#drill-body tr.detail .unit h3").length,
    })`)) as { levels: number[]; lang: string; mains: number; header: number; units: number };
    assert.equal(facts.levels.filter((l) => l === 1).length, 1, `levels ${facts.levels.join(",")}`);
    assert.equal(facts.levels[0], 1);
    facts.levels.forEach((l, i) => {
      if (i > 0) assert.ok(l <= facts.levels[i - 1]! + 1, `h${facts.levels[i - 1]} then h${l}`);
    });
    assert.ok(facts.units >= 2, "the drill-down's prompts are headed");
    assert.equal(facts.lang, "en");
    assert.equal(facts.mains, 1);
    assert.equal(facts.header, 1);
    await ctx.close();
  });

  test("every chart has a text alternative: a label and a table of its numbers", async () => {
    const ctx = await context(1280);
    const { page } = await openReport(ctx, html);
    const charts = (await page.evaluate(`[...document.querySelectorAll("figure.chart canvas")].map((c) => {
      const fig = c.closest("figure");
      const spec = JSON.parse(document.getElementById("litmus-charts").textContent).find((s) => "chart-" + s.id === c.id);
      const table = fig.querySelector("details.chart-data table");
      return {
        id: c.id, role: c.getAttribute("role"), label: c.getAttribute("aria-label"), title: spec.title,
        labels: spec.config.data.labels.map(String),
        series: spec.config.data.datasets.map((d) => d.label),
        first: spec.config.data.datasets[0].data,
        rows: table ? [...table.tBodies[0].rows].map((r) => [...r.cells].map((x) => x.textContent)) : null,
        head: table ? [...table.tHead.rows[0].cells].map((x) => x.textContent) : null,
      };
    })`)) as Array<{
      id: string;
      role: string;
      label: string;
      title: string;
      labels: string[];
      series: string[];
      first: Array<number | null>;
      rows: string[][] | null;
      head: string[] | null;
    }>;
    assert.ok(charts.length >= 5);
    for (const c of charts) {
      assert.equal(c.role, "img", c.id);
      assert.ok(c.label.startsWith(c.title), `${c.id}: aria-label ${c.label}`);
      assert.ok(c.rows && c.head, `${c.id}: no data table`);
      assert.deepEqual(
        c.rows.map((r) => r[0]),
        c.labels,
        `${c.id}: one row per x label`,
      );
      assert.equal(c.head.length, c.series.length + 1);
      c.series.forEach((s, i) => {
        assert.ok(c.head?.[i + 1]?.startsWith(s), `${c.id}: column ${c.head?.[i + 1]} for ${s}`);
      });
      // each number of the first series, read back from its cell
      c.first.forEach((v, i) => {
        const cell = c.rows?.[i]?.[1] ?? "";
        if (v === null) assert.equal(cell, "–");
        else
          assert.ok(
            Math.abs(Number.parseFloat(cell) - v) <= 0.05 + 1e-9,
            `${c.id} row ${i}: ${cell} vs ${v}`,
          );
      });
    }
    await ctx.close();
  });

  for (const dark of [false, true]) {
    test(`contrast axe does not measure (${dark ? "dark" : "light"}): chart colours, focus ring, control borders, badges`, async () => {
      const ctx = await context(1280, { dark });
      const { page } = await openReport(ctx, html);
      const c = (await page.evaluate(`(() => {
        const css = (el, p) => getComputedStyle(el).getPropertyValue(p);
        const panel = css(document.querySelector("figure.chart"), "background-color");
        const specs = JSON.parse(document.getElementById("litmus-charts").textContent);
        const colours = [];
        for (const s of specs) for (const d of s.config.data.datasets)
          for (const k of ["backgroundColor", "borderColor"]) for (const v of [].concat(d[k] || [])) colours.push([s.id + " " + d.label, v]);
        const search = document.getElementById("f-search");
        search.focus();
        const focus = css(search, "outline-color");
        const badges = [...document.querySelectorAll(".badge")].map((b) => [b.className, css(b, "color"), css(b, "background-color")]);
        return {
          page: css(document.body, "background-color"), panel, colours, focus,
          focusWidth: parseFloat(css(search, "outline-width")), focusStyle: css(search, "outline-style"),
          control: css(search, "border-top-color"), controlsPanel: css(document.querySelector(".controls"), "background-color"),
          badges,
        };
      })()`)) as {
        page: string;
        panel: string;
        colours: Array<[string, string]>;
        focus: string;
        focusWidth: number;
        focusStyle: string;
        control: string;
        controlsPanel: string;
        badges: Array<[string, string, string]>;
      };
      assert.ok(c.colours.length >= 10);
      for (const [what, colour] of c.colours) {
        const ratio = contrast(colour, c.panel);
        assert.ok(ratio >= 3, `${what}: ${colour} on ${c.panel} is ${ratio.toFixed(2)}:1`);
      }
      assert.ok(c.focusStyle !== "none" && c.focusWidth >= 2, `focus ring ${c.focusStyle} ${c.focusWidth}px`);
      for (const bg of [c.page, c.controlsPanel]) {
        assert.ok(contrast(c.focus, bg) >= 3, `focus ring ${c.focus} on ${bg}`);
        assert.ok(contrast(c.control, bg) >= 3, `control border ${c.control} on ${bg}`);
      }
      assert.ok(c.badges.length >= 5);
      for (const [cls, fg, bg] of c.badges)
        assert.ok(contrast(fg, bg) >= 4.5, `${cls}: ${fg} on ${bg} is ${contrast(fg, bg).toFixed(2)}:1`);
      await ctx.close();
    });
  }

  test("keyboard: every control reachable with Tab and shown by a focus ring; a problem opens with Enter", async () => {
    const ctx = await context(1280);
    const { page } = await openReport(ctx, html);
    const seen: string[] = [];
    const positions: number[] = [];
    const unringed: string[] = [];
    for (let i = 0; i < 120; i++) {
      await page.keyboard.press("Tab");
      const f = (await page.evaluate(`(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return null;
        const cs = getComputedStyle(el);
        const key = el.id ? "#" + el.id : el.tagName.toLowerCase() + "." + (el.className || "") + (el.getAttribute("aria-label") ? "[" + el.getAttribute("aria-label") + "]" : "") + (el.closest("tr[data-id]") ? "@" + el.closest("tr[data-id]").dataset.id : "");
        const pos = [...document.querySelectorAll("*")].indexOf(el);
        return { key, pos, ring: cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2 };
      })()`)) as { key: string; pos: number; ring: boolean } | null;
      if (!f) break;
      if (positions.includes(f.pos)) break; // round the page once
      positions.push(f.pos);
      seen.push(f.key);
      if (!f.ring) unringed.push(f.key);
    }
    assert.deepEqual(unringed, [], "focused without a visible ring");
    const has = (pattern: RegExp) =>
      assert.ok(
        seen.some((k) => pattern.test(k)),
        `${pattern} not reached: ${seen.join(" | ")}`,
      );
    has(/^summary\./); // the run details (and the charts' Data)
    has(/^div\.scroll\[Per-probe results table\]$/);
    has(/^#f-verdict$/);
    has(/^#f-probe$/);
    has(/^#f-status$/);
    has(/^#f-search$/);
    has(/^#export-csv$/);
    has(/^#export-json$/);
    const columns = await page.locator("#drill thead th").count();
    assert.equal(seen.filter((k) => k === "button.sort").length, columns, "every column's sort button");
    assert.equal(seen.filter((k) => k.startsWith("button.open@")).length, 12, "every problem's toggle");

    // Enter on a problem opens it; Tab reaches its sample list, Enter opens that; Enter again closes the problem.
    const row = page.locator("#drill-body tr.problem button.open").first();
    await row.focus();
    await page.keyboard.press("Enter");
    assert.equal(await row.getAttribute("aria-expanded"), "true");
    assert.equal(await page.locator("#drill-body tr.detail").count(), 1);
    const summary = page.locator("#drill-body tr.detail details.samples > summary").first();
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press("Tab");
      if (
        await summary.evaluate(
          (s) =>
            s === (s as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement,
        )
      )
        break;
    }
    await page.keyboard.press("Enter");
    await page.locator("#drill-body tr.detail details.samples pre").first().waitFor();
    await row.focus();
    await page.keyboard.press("Enter");
    assert.equal(await row.getAttribute("aria-expanded"), "false");
    assert.equal(await page.locator("#drill-body tr.detail").count(), 0);
    await ctx.close();
  });
});
