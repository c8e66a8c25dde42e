/**
 * The report's drill-down and problem table in headless Chromium (issue 16, part A): the exact
 * prompt, recorded edits and extracted answers highlighted at their spans, #problem= links and
 * history, sorting, exact and prefix search, filters, CSV/JSON export of the rows shown, and a
 * 100,000-character question. Expected values come from the run store (what the runner was given,
 * what the probes recorded) or are worked out here, never from the page's own code.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { buildModel, loadRun, renderHtml, VERDICTS } from "../../src/report/index.js";
import type { LoadedRun } from "../../src/report/load.js";
import type { AuditRequest } from "../../src/types/audit.js";
import { MADE_UP, shoppingProblems } from "../probes/fixtures.js";
import { CHROMIUM, CHROMIUM_ARGS, HAVE_CHROMIUM, makeRunDir, openReport } from "./helpers.js";

const SKIP = HAVE_CHROMIUM
  ? false
  : `${CHROMIUM} is absent: browser tests skipped (apt-get install chromium)`;

/** A 2-shot template: two made-up exemplars before the question, as lm-evaluation-harness lays them out. */
const EXEMPLARS = [
  { question: "Ada has 3 kites and buys 4 more. How many kites does Ada have?", answer: "3 + 4 = 7\n#### 7" },
  { question: "A box holds 6 pens. How many pens are in 5 boxes?", answer: "6 * 5 = 30\n#### 30" },
];
const TWO_SHOT = {
  name: "two-shot-test",
  template: "{exemplars}Question: {question}\nAnswer:",
  exemplars: EXEMPLARS,
  stop: ["Question:"],
};

/**
 * Completion texts that exercise every text rule: the greedy one states "the answer is N" and
 * ends on another number; sample 1 has no marker (the last number is the answer); the others
 * keep the simulated solution's `#### N`.
 */
function completionText(_r: AuditRequest, sample: number | null, text: string): string {
  const final = /#### (\d+)/.exec(text)?.[1];
  if (final === undefined) return text;
  if (sample === null) return `Adding up the costs: so the answer is ${final}. Then 7 more steps.`;
  if (sample === 1) return `The parts are 3 and 4, making ${final} in all`;
  return text;
}

/** Where the answer is, worked out from the text alone: after "####", else after "the answer is", else the last number. */
function expectedAnswerAt(text: string): { start: number; value: string } | null {
  const hash = /####\s*(\d+)/.exec(text);
  const is = /the answer is\s*(\d+)/i.exec(text);
  const m = hash ?? is;
  if (m?.[1] !== undefined) return { start: m.index + m[0].length - m[1].length, value: m[1] };
  const all = [...text.matchAll(/\d+/g)];
  const last = all[all.length - 1];
  return last ? { start: last.index ?? 0, value: last[0] } : null;
}

/**
 * The marks matching `mark` inside each element matching `box`: [box text, [[offset, text]]], where
 * the offset is the number of characters of the box's text before the mark (a Range, so only text).
 */
async function marksIn(
  page: Page,
  box: string,
  mark: string,
): Promise<Array<[string, Array<[number, string]>]>> {
  return (await page.evaluate(`(() => [...document.querySelectorAll(${JSON.stringify(box)})].map((b) => [
    b.textContent,
    [...b.querySelectorAll(${JSON.stringify(mark)})].map((m) => {
      const r = document.createRange();
      r.setStart(b, 0);
      r.setEndBefore(m);
      return [r.toString().length, m.textContent];
    }),
  ]))()`)) as Array<[string, Array<[number, string]>]>;
}

async function rowIds(page: Page): Promise<string[]> {
  return page.locator("#drill-body tr.problem button.open").allTextContents();
}

/** Waits until the shown rows are `ids` (filters apply after a short debounce). */
async function waitIds(page: Page, ids: readonly string[]): Promise<void> {
  let last: string[] = [];
  for (let i = 0; i < 150; i++) {
    last = await rowIds(page);
    if (last.join("\n") === ids.join("\n")) return;
    await page.waitForTimeout(20);
  }
  assert.deepEqual(last, ids);
}

async function search(page: Page, text: string, ids: readonly string[]): Promise<void> {
  await page.fill("#f-search", text);
  await waitIds(page, ids);
}

/** The table row of a problem (by its data-id, which holds the id as it is). */
const rowOf = (id: string) => `#drill-body tr.problem[data-id=${JSON.stringify(id)}]`;

async function openProblem(page: Page, id: string): Promise<void> {
  await page.click(`${rowOf(id)} button.open`);
  await page.locator(`#drill-body tr.detail`).first().waitFor();
}

function requestOf(run: LoadedRun, problemId: string, variantId: string | null): AuditRequest {
  const r = run.run?.requests.find(
    (q) => q.problemId === problemId && q.variantId === variantId && q.mode === "greedy",
  );
  assert.ok(r, `request of ${variantId ?? problemId}`);
  return r;
}

const pctOf = (v: number | null | undefined) =>
  typeof v === "number" ? `${(v * 100).toFixed(0)}%` : "\u2013";

describe("report drill-down and problem table in headless Chromium", { skip: SKIP }, () => {
  let browser: Browser;
  let work = "";
  const dirs: string[] = [];
  let main: LoadedRun;
  let mainHtml = "";
  before(async () => {
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    work = await mkdtemp(join(tmpdir(), "litmus-drill-format-"));
    const template = join(work, "two-shot.json");
    await writeFile(template, JSON.stringify(TWO_SHOT));
    // Three problems without a price (one the engine cannot lift at all), so probes reach different problems.
    const records = shoppingProblems(40).map((r, i) => MADE_UP[{ 5: 1, 17: 3, 29: 5 }[i] ?? -1] ?? r);
    const dir = await makeRunDir(40, { records, promptFormat: template, extract: true, completionText });
    dirs.push(dir);
    main = loadRun(dir);
    mainHtml = renderHtml(buildModel(main.summary, main.run));
  });
  after(async () => {
    await browser?.close();
    await Promise.all([work, ...dirs].map((d) => rm(d, { recursive: true, force: true })));
  });

  test("each prompt is shown exactly as the runner was given it (2-shot exemplars included), collapsed by default; the exemplar block is embedded once", async () => {
    const { page, errors, requests } = await openReport(browser, mainHtml);
    await search(page, "made-up:3", ["made-up:3"]);
    await openProblem(page, "made-up:3");
    const units = page.locator("#drill-body tr.detail .unit");
    const count = await units.count();
    assert.ok(count >= 3, `units: ${count}`);
    for (let i = 0; i < count; i++) {
      const unit = units.nth(i);
      const prompt = unit.locator("details.prompt");
      assert.equal(await prompt.evaluate((d) => (d as unknown as { open: boolean }).open), false);
      assert.equal(await unit.locator("pre.prompt-text").count(), 0, "built only when opened");
      await prompt.locator("summary").click();
      const shown = await unit.locator("pre.prompt-text").textContent();
      const variantId = (await unit.getAttribute("data-variant")) || null;
      const given = requestOf(main, "made-up:3", variantId).prompt;
      assert.equal(shown, given, `prompt of ${variantId ?? "the original"}`);
      for (const e of EXEMPLARS) assert.ok(shown?.includes(`Question: ${e.question}\nAnswer: ${e.answer}`));
      assert.ok(
        (await prompt.locator("summary").textContent())?.includes(
          `${given.length.toLocaleString("en-US")} characters`,
        ),
      );
    }
    assert.equal(mainHtml.split(EXEMPLARS[1]!.question).length - 1, 1, "exemplar block stored once");
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
    await page.close();
  });

  test("edits are highlighted exactly at the spans the probes recorded, in the original and in the variant", async () => {
    const run = main.run!;
    // A problem with an answer-changing (number) edit and a multi-edit newline variant.
    const problem = run.problems.find((p) => {
      const vs = run.variants.filter((v) => v.problemId === p.id);
      return vs.some((v) => v.probe === "price-edit") && vs.some((v) => v.edits.length > 1);
    });
    assert.ok(problem);
    const { page, errors } = await openReport(browser, mainHtml);
    await search(page, problem.id, [problem.id]);
    await openProblem(page, problem.id);
    const variants = run.variants.filter((v) => v.problemId === problem.id);
    const originals = await marksIn(page, "#drill-body tr.detail .unit.variant .qtext.orig", "mark.del");
    const changed = await marksIn(page, "#drill-body tr.detail .unit.variant .qtext.var", "mark.ins");
    const ids = await page
      .locator("#drill-body tr.detail .unit.variant")
      .evaluateAll((els) =>
        els.map((e) => (e as unknown as { dataset: Record<string, string> }).dataset["variant"]),
      );
    assert.equal(ids.length, variants.length);
    let priceEdits = 0;
    for (const [i, id] of ids.entries()) {
      const v = variants.find((x) => x.id === id);
      assert.ok(v, `variant ${id}`);
      const edits = [...v.edits].sort((a, b) => a.start - b.start);
      const [origText, delMarks] = originals[i]!;
      const [varText, insMarks] = changed[i]!;
      assert.equal(origText, problem.question);
      assert.equal(varText, v.question);
      assert.deepEqual(
        delMarks,
        edits.map((e) => [e.start, e.before]),
      );
      let shift = 0;
      const expected: Array<[number, string]> = [];
      for (const e of edits) {
        expected.push([e.start + shift, e.after]);
        shift += e.after.length - (e.end - e.start);
      }
      assert.deepEqual(insMarks, expected, `edits of ${id}`);
      if (v.probe === "price-edit") {
        priceEdits++;
        for (const [, text] of insMarks)
          assert.match(text, /^\$\d+$/, "the amount alone, no trailing period");
      }
    }
    assert.ok(priceEdits >= 1);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("each completion shows its answer, rule and expected/original answers; the extracted number is highlighted where it is", async () => {
    const { page, errors } = await openReport(browser, mainHtml);
    const problem = main.run!.problems[4]!;
    await search(page, problem.id, [problem.id]);
    await openProblem(page, problem.id);
    for (const d of await page.locator("#drill-body tr.detail details.samples > summary").all())
      await d.click();
    const items =
      (await page.evaluate(`[...document.querySelectorAll("#drill-body tr.detail li.comp")].map((li) => {
      const pre = li.querySelector("pre.completion");
      const m = pre.querySelector("mark.ans");
      let at = null;
      if (m) { const r = document.createRange(); r.setStart(pre, 0); r.setEndBefore(m); at = r.toString().length; }
      return { text: pre.textContent, at, mark: m ? m.textContent : null,
        value: li.querySelector(".ans-value")?.textContent ?? null, rule: li.querySelector("code.rule")?.textContent ?? null };
    })`)) as Array<{
        text: string;
        at: number | null;
        mark: string | null;
        value: string | null;
        rule: string | null;
      }>;
    const rows = main.run!.rows.filter((r) => r.problem.id === problem.id);
    assert.equal(items.length, rows.length);
    const rules = new Set<string>();
    for (const item of items) {
      const want = expectedAnswerAt(item.text);
      assert.ok(want, item.text);
      assert.equal(item.at, want.start, item.text);
      assert.equal(item.mark, want.value);
      assert.equal(item.value, want.value);
      assert.ok(item.rule);
      rules.add(item.rule);
    }
    assert.deepEqual([...rules].sort(), ["answer-is", "hash-line", "last-number"]);
    // Expected and original answers in each variant's heading.
    for (const v of main.run!.variants.filter((x) => x.problemId === problem.id)) {
      const head = await page.locator(`.unit.variant[data-variant="${v.id}"] h3`).textContent();
      assert.ok(head?.includes(`expected ${v.expected}`), head ?? "");
      if (v.answerChanged) assert.ok(head?.includes(`original answer ${v.originalAnswer}`), head ?? "");
    }
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("sorting: header buttons by click and by Enter set aria-sort and order the rows; missing values last", async () => {
    const { page, errors } = await openReport(browser, mainHtml);
    const verdictOf = new Map(main.summary.verdicts.map((v) => [String(v["problem_id"]), v]));
    const ids = main.run!.problems.map((p) => p.id);
    const ariaSort = (key: string) =>
      page.locator(`#drill thead th:has(button[data-sort="${key}"])`).getAttribute("aria-sort");

    await openProblem(page, "made-up:2");
    await page.click('button[data-sort="id"]');
    await page.click('button[data-sort="id"]');
    assert.equal(await ariaSort("id"), "descending");
    assert.equal(
      await page.getAttribute(`${rowOf("made-up:2")} button.open`, "aria-expanded"),
      "true",
      "stays open",
    );
    assert.equal(await page.locator("#drill-body tr.detail").count(), 1);
    assert.equal(ids.length, 40);
    await waitIds(
      page,
      Array.from({ length: 40 }, (_, i) => `made-up:${40 - i}`),
    );

    await page.click('button[data-sort="oa"]');
    assert.equal(await ariaSort("oa"), "ascending");
    assert.equal(await ariaSort("id"), null);
    const acc = (id: string) => {
      const v = verdictOf.get(id)?.["original_accuracy"];
      return typeof v === "number" ? v : null;
    };
    const byAcc = (dir: 1 | -1) =>
      ids
        .map((id, i) => ({ id, i, a: acc(id) }))
        .sort((x, y) =>
          x.a === null || y.a === null
            ? x.a === y.a
              ? x.i - y.i
              : x.a === null
                ? 1
                : -1
            : dir * (x.a - y.a) || x.i - y.i,
        )
        .map((x) => x.id);
    await waitIds(page, byAcc(1));
    const cells = await page.locator("#drill-body tr.problem td:nth-child(3)").allTextContents();
    assert.deepEqual(
      cells,
      byAcc(1).map((id) => pctOf(acc(id))),
    );
    await page.click('button[data-sort="oa"]');
    assert.equal(await ariaSort("oa"), "descending");
    await waitIds(page, byAcc(-1));

    await page.focus('button[data-sort="verdict"]');
    await page.keyboard.press("Enter");
    assert.equal(await ariaSort("verdict"), "ascending");
    const verdicts = await page.locator("#drill-body tr.problem td:nth-child(2)").allTextContents();
    const rank = (v: string) => VERDICTS.indexOf(v as (typeof VERDICTS)[number]);
    assert.ok(
      verdicts.every((v, i) => i === 0 || rank(verdicts[i - 1]!) <= rank(v)),
      verdicts.join(","),
    );
    assert.ok(new Set(verdicts).size >= 2);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("search: an id is exact, `id*` is a prefix, a variant id finds its problem, other text searches questions", async () => {
    const { page, errors } = await openReport(browser, mainHtml);
    const run = main.run!;
    await search(page, "made-up:1", ["made-up:1"]);
    assert.match((await page.locator("#f-count").textContent()) ?? "", /exact id/);
    await search(page, "made-up:7", ["made-up:7"]);
    await search(
      page,
      "made-up:1*",
      run.problems.map((p) => p.id).filter((id) => /^made-up:1\d*$/.test(id)),
    );
    assert.equal((await rowIds(page)).length, 11);
    const variant = run.variants.find((v) => v.problemId === "made-up:12")!;
    await search(page, variant.id, ["made-up:12"]);
    const word = "PiZzA";
    const holds = (text: string) => text.toLowerCase().includes("pizza");
    const expected = run.problems
      .filter((p) => holds(p.question) || run.variants.some((v) => v.problemId === p.id && holds(v.question)))
      .map((p) => p.id);
    assert.ok(expected.length > 0 && expected.length < 40);
    await search(page, word, expected);
    await search(page, "made-up:99", []);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("filters: by verdict and by probe (the drill-down then shows that probe's variants only)", async () => {
    const { page, errors } = await openReport(browser, mainHtml);
    const run = main.run!;
    const verdictOf = new Map(
      main.summary.verdicts.map((v) => [String(v["problem_id"]), String(v["verdict"])]),
    );
    const ids = run.problems.map((p) => p.id);
    const common = VERDICTS.map((v) => [v, ids.filter((id) => verdictOf.get(id) === v)] as const).sort(
      (a, b) => b[1].length - a[1].length,
    )[0]!;
    await page.selectOption("#f-verdict", common[0]);
    await waitIds(page, common[1]);
    const withProbe = (probe: string) =>
      new Set(run.variants.filter((v) => v.probe === probe).map((v) => v.problemId));
    const rename = withProbe("rename");
    await page.selectOption("#f-probe", "rename");
    await waitIds(
      page,
      common[1].filter((id) => rename.has(id)),
    );
    await page.selectOption("#f-verdict", "");
    // The probe that reaches the fewest problems (each keeps at most 5 variants, in probe order).
    const [probe, reached] = main.summary.manifest.config.probes
      .map((p) => [p, withProbe(p)] as const)
      .sort((a, b) => a[1].size - b[1].size)[0]!;
    await page.selectOption("#f-probe", probe);
    const probeIds = ids.filter((id) => reached.has(id));
    assert.ok(probeIds.length > 0 && probeIds.length < 40, `${probe}: ${probeIds.length}`);
    await waitIds(page, probeIds);
    await openProblem(page, probeIds[0]!);
    const probes = await page
      .locator("#drill-body tr.detail .unit.variant")
      .evaluateAll((els) =>
        els.map((e) => (e as unknown as { dataset: Record<string, string> }).dataset["probe"]),
      );
    assert.ok(probes.length >= 1 && probes.every((p) => p === probe), probes.join(","));
    assert.equal(await page.locator("#drill-body tr.detail .unit.original").count(), 1);
    assert.deepEqual(errors, []);
    await page.close();
  });
});

/** RFC 4180, strictly: a quote, CR or LF outside a quoted field is an error (so an unquoted one fails). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (ch === '"') {
        quoted = false;
        i++;
        if (i < text.length && text[i] !== "," && text[i] !== "\r")
          throw new Error(`text after a quote at ${i}`);
      } else {
        field += ch;
        i++;
      }
    } else if (ch === '"') {
      if (field !== "") throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true;
      i++;
    } else if (ch === ",") {
      row.push(field);
      field = "";
      i++;
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i += 2;
    } else if (ch === "\r" || ch === "\n") {
      throw new Error(`bare line break at ${i}`);
    } else {
      field += ch;
      i++;
    }
  }
  if (quoted) throw new Error("unterminated quote");
  if (field !== "" || row.length > 0) throw new Error("last line without CRLF");
  return rows;
}

/** Questions a spreadsheet would misread: formulas, commas, quotes, line breaks. */
const TRICKY = [
  '=HYPERLINK("http://example.invalid","x"), then: ',
  '+1 for "Tom", then ',
  "-5 degrees outside.\nStill, ",
  "@SUM(1,2) ",
  'Plain, "quoted" text\r\nwith a CRLF. ',
];
const ODD_SOURCE = "set #1 ü";

describe("report links, export and huge text in headless Chromium", { skip: SKIP }, () => {
  let browser: Browser;
  let odd: LoadedRun;
  let oddHtml = "";
  let big: LoadedRun;
  let bigHtml = "";
  const dirs: string[] = [];
  const BIG = 100_000;
  before(async () => {
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const records = shoppingProblems(30).map((r, i) => ({
      ...r,
      question: `${TRICKY[i] ?? ""}${r.question}`,
    }));
    const shop = shoppingProblems(3);
    const filler = "The shop is busy on weekends and the staff are friendly. ";
    const bigRecords = shop.map((r, i) =>
      i === 1 ? { ...r, question: filler.repeat(Math.ceil(BIG / filler.length)) + r.question } : r,
    );
    const [oddDir, bigDir] = await Promise.all([
      makeRunDir(30, { records, source: ODD_SOURCE }),
      makeRunDir(3, {
        records: bigRecords,
        source: "big",
        completionText: (r, _s, text) => (r.problemId === "big:2" ? filler.repeat(1800) + text : text),
      }),
    ]);
    dirs.push(oddDir, bigDir);
    odd = loadRun(oddDir);
    oddHtml = renderHtml(buildModel(odd.summary, odd.run));
    big = loadRun(bigDir);
    bigHtml = renderHtml(buildModel(big.summary, big.run));
  });
  after(async () => {
    await browser?.close();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  const hashOf = (id: string) => `#problem=${encodeURIComponent(id)}`;
  const openIds = (page: Page) =>
    page
      .locator("#drill-body tr.detail")
      .evaluateAll((els) =>
        els.map((e) => (e as unknown as { dataset: Record<string, string> }).dataset["id"]),
      );
  async function waitHash(page: Page, hash: string, open: string[]): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (new URL(page.url()).hash === hash && (await openIds(page)).join() === open.join()) return;
      await page.waitForTimeout(20);
    }
    assert.equal(new URL(page.url()).hash, hash);
    assert.deepEqual(await openIds(page), open);
  }

  test("#problem=<id>: opening sets it (encoded), loading it opens and scrolls to the problem, back/forward follow it", async () => {
    const ids = odd.run!.problems.map((p) => p.id);
    const [a, b, last] = [ids[2]!, ids[4]!, ids[ids.length - 1]!];
    assert.equal(a, `${ODD_SOURCE}:3`);
    const { page, errors, requests } = await openReport(browser, oddHtml);
    await page.click(`${rowOf(a)} td:last-child`);
    await waitHash(page, hashOf(a), [a]);
    assert.equal(hashOf(a), "#problem=set%20%231%20%C3%BC%3A3");
    await page.press(`${rowOf(b)} button.open`, "Enter");
    await waitHash(page, hashOf(b), [a, b]);
    assert.equal(await page.getAttribute(`${rowOf(b)} button.open`, "aria-expanded"), "true");
    await page.evaluate("history.back()");
    await waitHash(page, hashOf(a), [a]);
    await page.evaluate("history.forward()");
    await waitHash(page, hashOf(b), [b]);
    await page.evaluate("history.go(-2)");
    await waitHash(page, "", []);
    // A linked problem hidden by the filters is shown by its exact id.
    const verdictOf = new Map(
      odd.summary.verdicts.map((v) => [String(v["problem_id"]), String(v["verdict"])]),
    );
    const other = VERDICTS.find((v) => v !== verdictOf.get(last))!;
    await page.selectOption("#f-verdict", other);
    await page.waitForTimeout(50);
    await page.evaluate(`location.hash = ${JSON.stringify(hashOf(last))}`);
    await waitHash(page, hashOf(last), [last]);
    assert.equal(await page.inputValue("#f-search"), last);
    assert.equal(await page.inputValue("#f-verdict"), "");
    await page.close();

    const linked = await openReport(browser, oddHtml, hashOf(last));
    await waitHash(linked.page, hashOf(last), [last]);
    const box = await linked.page.locator(rowOf(last)).boundingBox();
    assert.ok(box && box.y > -2 && box.y < 1000, `row on screen: ${JSON.stringify(box)}`);
    assert.ok(Number(await linked.page.evaluate("window.scrollY")) > 500, "scrolled down to it");
    // A variant's id opens its problem; an unknown id says so.
    const variant = odd.run!.variants.find((v) => v.problemId === a)!;
    await linked.page.evaluate(`location.hash = ${JSON.stringify(hashOf(variant.id))}`);
    await waitHash(linked.page, hashOf(variant.id), [a]);
    await linked.page.evaluate(`location.hash = ${JSON.stringify(hashOf("no-such:1"))}`);
    await waitHash(linked.page, hashOf("no-such:1"), []);
    assert.equal(await linked.page.textContent("#f-count"), "No problem no-such:1 in this report.");
    assert.deepEqual([...errors, ...linked.errors], []);
    assert.deepEqual([...requests, ...linked.requests], []);
    await linked.page.close();
  });

  test("export: CSV and JSON hold exactly the rows shown, in their order; CSV quoting and formula guard", async () => {
    const { page, errors, requests } = await openReport(browser, oddHtml);
    const byId = new Map(odd.run!.problems.map((p) => [p.id, p]));
    const verdictOf = new Map(odd.summary.verdicts.map((v) => [String(v["problem_id"]), v]));
    await page.click('button[data-sort="ss"]');
    await page.click('button[data-sort="ss"]');
    await page.locator('#drill th[aria-sort="descending"]').waitFor();
    const take = async (button: string): Promise<string> => {
      const [download] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
      const path = await download.path();
      return readFile(path, "utf8");
    };
    const visible = async () =>
      (await page
        .locator("#drill-body tr.problem")
        .evaluateAll((trs) =>
          trs.map((tr) =>
            [...(tr as unknown as { cells: Iterable<{ textContent: string }> }).cells].map(
              (c) => c.textContent,
            ),
          ),
        )) as string[][];

    const rows = await visible();
    assert.equal(rows.length, 30);
    const csv = parseCsv(await take("#export-csv"));
    assert.deepEqual(csv[0], ["id", "verdict", "original_accuracy", "stale_share", "variants", "question"]);
    assert.equal(csv.length - 1, rows.length);
    const guarded = (q: string) => (/^[=+\-@]/.test(q) ? `'${q}` : q);
    for (const [i, shown] of rows.entries()) {
      const [id, verdict, oa, ss, variants, question] = csv[i + 1]!;
      assert.equal(id, shown[0]);
      assert.equal(verdict, shown[1]);
      assert.equal(pctOf(oa === "" ? null : Number(oa)), shown[2]);
      assert.equal(pctOf(ss === "" ? null : Number(ss)), shown[3]);
      assert.equal(variants, shown[4]);
      assert.equal(question, guarded(byId.get(id!)!.question));
      if (oa !== "") assert.equal(Number(oa), verdictOf.get(id!)?.["original_accuracy"]);
    }
    for (const t of TRICKY)
      assert.ok(
        csv.some((r) => r[5]!.replace(/^'/, "").startsWith(t)),
        `tricky ${t}`,
      );
    assert.ok(csv.slice(1).filter((r) => r[5]!.startsWith("'")).length === 4, "= + - @ guarded");

    const verdict = rows[0]![1]!;
    await page.selectOption("#f-verdict", verdict);
    await page.waitForTimeout(50);
    const shownNow = await visible();
    assert.ok(shownNow.length < 30 && shownNow.every((r) => r[1] === verdict));
    const json = JSON.parse(await take("#export-json")) as Array<Record<string, unknown>>;
    assert.deepEqual(
      json.map((r) => [
        r["id"],
        r["verdict"],
        pctOf(r["original_accuracy"] as number | null),
        String(r["variants"]),
      ]),
      shownNow.map((r) => [r[0], r[1], r[2], r[4]]),
    );
    for (const r of json)
      assert.equal(r["question"], byId.get(String(r["id"]))!.question, "JSON keeps the text as is");
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
    await page.close();
  });

  test("a 100,000-character question with 100,000-character completions opens in under 1 s, completions visible", async () => {
    const problem = big.run!.problems[1]!;
    assert.ok(problem.question.length >= BIG);
    const manyEdits = big.run!.variants.find((v) => v.problemId === problem.id && v.edits.length > 1000);
    assert.ok(manyEdits, "a variant with over 1,000 edits");
    const { page, errors } = await openReport(browser, bigHtml);
    const ms = Number(
      await page.evaluate(`(async () => {
        const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        const row = document.querySelector(${JSON.stringify(rowOf(problem.id))});
        row.scrollIntoView({ block: "start" });
        await frame();
        // From the click until two frames later: built, laid out where on screen, painted.
        const t0 = performance.now();
        row.querySelector("button.open").click();
        await frame();
        await frame();
        return performance.now() - t0;
      })()`),
    );
    process.stderr.write(`100k-character problem opened in ${ms.toFixed(0)} ms\n`);
    assert.ok(ms < 1000, `${ms} ms`);
    // Samples are built when their list is opened: the completions shown are the greedy ones.
    const pres = page.locator("#drill-body tr.detail .unit pre.completion");
    const units = big.run!.variants.filter((v) => v.problemId === problem.id).length + 1;
    assert.equal(await pres.count(), units);
    for (const pre of await pres.all()) {
      assert.ok(await pre.isVisible());
      assert.ok(((await pre.textContent()) ?? "").length > BIG);
    }
    const marks = await marksIn(
      page,
      `#drill-body tr.detail .unit.variant[data-variant="${manyEdits.id}"] .qtext.var`,
      "mark.ins",
    );
    assert.equal(marks[0]?.[0], manyEdits.question);
    assert.equal(marks[0]?.[1].length, manyEdits.edits.length);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
