/**
 * Benchmarks run litmus in their own process, so they start the way bin/litmus starts the CLI:
 * with glibc's malloc asking for transparent huge pages (`glibc.malloc.hugetlb=1`, read by glibc
 * only at process start). Baselines can be started with or without them, to compare like with like.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/** A hugetlb entry among colon-separated tunables, with its value. */
const HUGETLB = /(^|:)glibc\.malloc\.hugetlb=[^:]*/g;

/** The value `tunables` sets for glibc.malloc.hugetlb, if any. */
function hugetlbValue(tunables: string | undefined): string | undefined {
  return /(?:^|:)glibc\.malloc\.hugetlb=([^:]*)/.exec(tunables ?? "")?.[1];
}

/** `env` with glibc's malloc asking for huge pages (`on`) or with that tunable removed. */
export function hugePagesEnv(env: NodeJS.ProcessEnv, on: boolean): NodeJS.ProcessEnv {
  const rest = (env["GLIBC_TUNABLES"] ?? "").replace(HUGETLB, "").replace(/^:/, "");
  const tunables = on ? (rest ? `${rest}:glibc.malloc.hugetlb=1` : "glibc.malloc.hugetlb=1") : rest;
  const out = { ...env };
  if (tunables) out["GLIBC_TUNABLES"] = tunables;
  else delete out["GLIBC_TUNABLES"];
  return out;
}

/** Whether this process was started asking for huge pages (as bin/litmus starts litmus). */
export function startedWithHugePages(): boolean {
  const value = hugetlbValue(process.env["GLIBC_TUNABLES"]);
  return value === "1" || value === "2";
}

const RESTARTED = "LITMUS_HUGE_PAGES_RESTARTED";
const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Runs this same script again with huge pages asked for (unless LITMUS_HUGE_PAGES=0, as for
 * bin/litmus) and ends this process as the child ends (its exit code, or its signal); resolves
 * only in the process that should do the work. Signals sent to this process are passed on, so
 * stopping a benchmark stops the one doing the work; the child is marked so it never restarts.
 */
export async function restartWithHugePagesIfNeeded(): Promise<void> {
  if (
    process.env["LITMUS_HUGE_PAGES"] === "0" ||
    process.env[RESTARTED] ||
    hugetlbValue(process.env["GLIBC_TUNABLES"]) !== undefined
  )
    return;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...hugePagesEnv(process.env, true), [RESTARTED]: "1" },
  });
  for (const signal of FORWARDED) process.on(signal, () => child.kill(signal));
  const [code, signal] = (await new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (c, s) => resolve([c, s]));
  })) as [number | null, NodeJS.Signals | null];
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
}

/** Memory of process `pid` backed by transparent huge pages, in bytes (0 where unknown). */
export function anonHugePagesBytes(pid: number | "self" = "self"): number {
  try {
    const m = /AnonHugePages:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
