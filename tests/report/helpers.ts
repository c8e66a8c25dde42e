import { existsSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { summaryJson } from "../../src/audit/exports.js";
import { buildSyntheticRun, problemsFrom, type SyntheticOptions } from "../../src/report/synthetic.js";
import { SqliteRunStore } from "../../src/store/index.js";
import { shoppingProblems } from "../probes/fixtures.js";

export const CHROMIUM = "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
];

/** Strings a hostile data set or model could produce; each sets window.__pwned if it ever runs. */
export const HOSTILE = [
  "<script>window.__pwned = 'script'</script>",
  "<img src=x onerror=\"window.__pwned = 'img'\">",
  "</script><script>window.__pwned = 'breakout'</script>",
  "<!-- <script>window.__pwned = 'comment'</script>",
  "javascript:window.__pwned = 'js-url'",
  "<a href=\"javascript:window.__pwned = 'href'\">click</a>",
  "<svg onload=\"window.__pwned = 'svg'\"></svg>",
  "\u2028\u2029 line separators \u2028 </SCRIPT><script>window.__pwned = 'upper'</script>",
  "\"'><iframe srcdoc=\"<script>parent.__pwned = 'iframe'</script>\"></iframe>",
];

/** A synthetic run folder (run.sqlite + summary.json) of made-up shopping problems. */
export async function makeRunDir(
  count = 12,
  options: Partial<SyntheticOptions> & {
    hostile?: boolean;
    prefix?: string;
    /** Rewrites each problem's question (e.g. to add a long unbroken string). */
    mapQuestion?: (question: string, index: number) => string;
    /** The problems' text (default: `count` made-up shopping problems) and their data set's name. */
    records?: Array<{ question: string; answer: string }>;
    source?: string;
  } = {},
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), options.prefix ?? "litmus-report-"));
  let records = options.records ?? shoppingProblems(count);
  if (options.hostile)
    records = records.map((r, i) => ({ ...r, question: `${r.question} ${HOSTILE[i % HOSTILE.length]}` }));
  const mapQuestion = options.mapQuestion;
  if (mapQuestion) records = records.map((r, i) => ({ ...r, question: mapQuestion(r.question, i) }));
  const store = SqliteRunStore.openDir(dir);
  try {
    const { summary } = await buildSyntheticRun(store, {
      problems: problemsFrom(records, options.source ?? "made-up"),
      n: 4,
      resamples: 200,
      ...(options.hostile
        ? {
            completionText: (_r, sample, text) =>
              `${HOSTILE[(sample ?? 0) % HOSTILE.length]} ${text} ${HOSTILE.join(" ")}`,
            variantQuestion: (v) => `${v.question} ${HOSTILE[v.id.length % HOSTILE.length]}`,
          }
        : {}),
      ...options,
    });
    await writeFile(join(dir, "summary.json"), summaryJson(summary));
  } finally {
    store.close();
  }
  return dir;
}

/**
 * Where browser tests leave screenshots: $LITMUS_TEST_ARTIFACTS, else the git-ignored
 * test-artifacts/ of the checkout (never committed).
 */
export async function artifactsDir(): Promise<string> {
  const dir =
    process.env["LITMUS_TEST_ARTIFACTS"] ||
    fileURLToPath(new URL("../../../test-artifacts/", import.meta.url));
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Where the report is served from in browser tests (every other request is refused and recorded). */
export const REPORT_URL = "http://litmus.test/report.html";

export interface OpenedReport {
  page: Page;
  /** Console errors and warnings, page errors, dialogs. */
  errors: string[];
  /** Requests the page tried to make (all refused). */
  requests: string[];
}

/**
 * Opens `html` in a new page at REPORT_URL (plus `hash`) and waits until the page script is ready.
 * A browser gets a 1280 x 1000 page that accepts downloads; a context (viewport, colour scheme or
 * bypassCSP chosen by the test) a page as it is configured.
 */
export async function openReport(
  target: Browser | BrowserContext,
  html: string,
  hash = "",
): Promise<OpenedReport> {
  const page =
    "newContext" in target
      ? await target.newPage({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true })
      : await target.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  await page.route("**/*", async (route) => {
    if (route.request().url() === REPORT_URL)
      await route.fulfill({ status: 200, contentType: "text/html; charset=utf-8", body: html });
    else {
      requests.push(route.request().url());
      await route.abort();
    }
  });
  await page.goto(REPORT_URL + hash, { waitUntil: "load" });
  // A function, not a string: the page's CSP forbids eval.
  await page.waitForFunction(
    () =>
      (globalThis as unknown as { document: { documentElement: { dataset: Record<string, string> } } })
        .document.documentElement.dataset["ready"] === "1",
    null,
    { timeout: 15_000 },
  );
  return { page, errors, requests };
}
