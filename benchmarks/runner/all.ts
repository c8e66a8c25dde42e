/**
 * Runs every runner benchmark (kv-copy, decode, samples, sampling) one after another, each in its own
 * process, and prints their figures merged into one JSON object (keys prefixed by benchmark).
 * Run: node dist/benchmarks/runner/all.js
 */
import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { report } from "./common.js";

const NAMES = ["kv-copy", "decode", "samples", "sampling"];

const figures: Record<string, number | string> = {
  date: new Date().toISOString().slice(0, 10),
  cpus: cpus().length,
  cpu_model: cpus()[0]?.model ?? "unknown",
};
const lines: string[] = [];
for (const name of NAMES) {
  const script = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  const r = spawnSync(process.execPath, [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) {
    process.stderr.write(`${name} failed (exit ${r.status})\n${r.stdout}`);
    process.exit(r.status ?? 1);
  }
  const out = r.stdout.trim().split("\n");
  lines.push(`== ${name}`, ...out.slice(0, -1));
  const last = JSON.parse(out[out.length - 1]!) as Record<string, number | string>;
  for (const [k, v] of Object.entries(last)) figures[`${name.replace("-", "_")}.${k}`] = v;
}
report(lines, figures);
