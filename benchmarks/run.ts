/**
 * `npm run bench -- NAME` runs one benchmark (a module under benchmarks/ that exports `run`) and
 * prints its figures as one JSON object on the last line.
 */
import { readdirSync } from "node:fs";
import { restartWithHugePagesIfNeeded } from "./runner/huge-pages.js";

export interface Benchmark {
  /** Human-readable progress goes to stderr; the returned figures are printed as JSON. */
  run(args: string[]): Promise<Record<string, unknown>>;
}

const here = new URL(".", import.meta.url);
const [name, ...rest] = process.argv.slice(2);
if (!name) {
  const names = readdirSync(here, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".js") && !f.endsWith("run.js") && !f.includes("helpers"))
    .map((f) => f.replace(/\.js$/, ""));
  process.stderr.write(`usage: npm run bench -- NAME [args]\nbenchmarks: ${names.join(", ")}\n`);
  process.exit(2);
}
// Benchmarks run litmus in this process, so it starts as bin/litmus starts the CLI: with huge pages.
await restartWithHugePagesIfNeeded();
// Standalone benchmark scripts run on import and print their own figures.
const module = (await import(new URL(`./${name}.js`, here).href)) as Partial<Benchmark>;
if (typeof module.run === "function") {
  const figures = await module.run(rest);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
