/**
 * How the executor process is started: the operating system's layers around it.
 *
 * 1. Node's permission model (`--experimental-permission`): the process may read only Pyodide's
 *    folder and its own; it may not write files, start processes or workers, or load addons.
 * 2. Linux namespaces through bubblewrap: no network (a loopback of its own), its own PID, IPC and
 *    UTS namespaces, an empty environment, and a file system holding only read-only binds of the
 *    system libraries, Node.js, Pyodide and the executor, plus an empty /tmp and working folder.
 *
 * Both layers hold whatever a program reaches inside the interpreter. Where bubblewrap is missing
 * or cannot create namespaces, the first layer runs alone and the caller says so.
 */
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The layers a sandbox runs under, as summary.json and the report record them. */
export interface SandboxLayers {
  /** Node's permission model (file reads limited, no writes, processes or workers). */
  permission: boolean;
  /** Linux namespaces through bubblewrap (no network, no host file system). */
  namespaces: boolean;
  /** One line per missing layer, saying what it leaves open. */
  missing: string[];
}

/** Two records of layers as one: a layer missing from either is missing. */
export function weakestLayers(a: SandboxLayers | null, b: SandboxLayers | null): SandboxLayers | null {
  if (!a) return b;
  if (!b) return a;
  return {
    permission: a.permission && b.permission,
    namespaces: a.namespaces && b.namespaces,
    missing: [...new Set([...a.missing, ...b.missing])].sort(),
  };
}

export interface LaunchPlan {
  command: string;
  args: string[];
  cwd: string;
  /** Layers this plan asks for (the executor confirms the permission model itself). */
  namespaces: boolean;
  /** Why namespaces are off, when they are. */
  namespacesMissing: string | null;
}

/** Whether to wrap the executor in namespaces: `auto` uses bubblewrap when it works. */
export type NamespaceMode = "auto" | "required" | "off";

const here = dirname(fileURLToPath(import.meta.url));

/** The executor script and the nearest package.json (Node reads it to know the file is ESM). */
function executorFiles(): { script: string; packageJson: string | null } {
  const script = join(here, "executor.js");
  let dir = here;
  for (;;) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) return { script, packageJson: candidate };
    const up = dirname(dir);
    if (up === dir) return { script, packageJson: null };
    dir = up;
  }
}

function nodeArgs(pyodideDir: string, configJson: string, heapMb: number): string[] {
  const { script, packageJson } = executorFiles();
  const reads = [`${pyodideDir}*`, `${here}/*`, ...(packageJson ? [packageJson] : [])];
  return [
    "--experimental-permission",
    // One flag per path: Node 20 reads a comma-separated list after a wildcard as one pattern.
    ...reads.map((path) => `--allow-fs-read=${path}`),
    "--no-warnings",
    `--max-old-space-size=${heapMb}`,
    "--max-semi-space-size=16",
    "--disallow-code-generation-from-strings",
    script,
    configJson,
  ];
}

/** bubblewrap's arguments: read-only binds of what the executor needs, nothing else. */
function bwrapArgs(pyodideDir: string): string[] {
  const { packageJson } = executorFiles();
  const args = [
    "--unshare-all",
    "--die-with-parent",
    "--new-session",
    "--clearenv",
    "--cap-drop",
    "ALL",
    "--ro-bind",
    "/usr",
    "/usr",
  ];
  // Merged-/usr systems link these into /usr; others keep real folders.
  for (const top of ["/lib", "/lib64", "/lib32", "/bin", "/sbin"]) {
    if (!existsSync(top)) continue;
    const st = lstatSync(top);
    if (st.isSymbolicLink()) args.push("--symlink", readlinkSync(top), top);
    else args.push("--ro-bind", top, top);
  }
  // The empty /tmp first: binds below may live under /tmp (a checkout there) and must stay visible.
  args.push(
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--tmpfs",
    "/tmp",
    "--dir",
    "/sandbox",
    "--chdir",
    "/sandbox",
  );
  const nodeDir = dirname(process.execPath);
  const binds = [nodeDir, pyodideDir.replace(/\/$/, ""), here, ...(packageJson ? [packageJson] : [])];
  for (const path of binds) if (!path.startsWith("/usr/")) args.push("--ro-bind", path, path);
  return args;
}

let bwrapVerdict: { ok: boolean; why: string | null } | null = null;

/** Whether bubblewrap is installed and can create the namespaces here (checked once a process). */
export function bubblewrapWorks(pyodideDir: string): { ok: boolean; why: string | null } {
  if (bwrapVerdict) return bwrapVerdict;
  const probe = spawnSync("bwrap", [...bwrapArgs(pyodideDir), process.execPath, "-e", "0"], {
    env: {},
    stdio: ["ignore", "ignore", "pipe"],
    timeout: 20_000,
  });
  if (probe.error) {
    const missing = (probe.error as NodeJS.ErrnoException).code === "ENOENT";
    bwrapVerdict = {
      ok: false,
      why: missing ? "bubblewrap (bwrap) is not installed" : `bubblewrap failed: ${probe.error.message}`,
    };
  } else if (probe.status !== 0) {
    const err =
      String(probe.stderr ?? "")
        .trim()
        .split("\n")[0] ?? "";
    bwrapVerdict = {
      ok: false,
      why: `bubblewrap cannot create namespaces here: ${err || `exit ${probe.status}`}`,
    };
  } else bwrapVerdict = { ok: true, why: null };
  return bwrapVerdict;
}

/** How to start one executor. */
export function launchPlan(
  pyodideDir: string,
  configJson: string,
  heapMb: number,
  mode: NamespaceMode,
): LaunchPlan {
  const node = nodeArgs(pyodideDir, configJson, heapMb);
  if (mode !== "off" && process.platform === "linux") {
    const verdict = bubblewrapWorks(pyodideDir);
    if (verdict.ok)
      return {
        command: "bwrap",
        args: [...bwrapArgs(pyodideDir), process.execPath, ...node],
        cwd: "/",
        namespaces: true,
        namespacesMissing: null,
      };
    if (mode === "required") throw new Error(`the sandbox requires namespaces: ${verdict.why}`);
    return plain(node, verdict.why);
  }
  if (mode === "required")
    throw new Error("the sandbox requires namespaces, which need Linux and bubblewrap");
  return plain(node, mode === "off" ? "namespaces switched off" : `no namespaces on ${process.platform}`);
}

let plainCwd: string | null = null;

function plain(node: string[], why: string | null): LaunchPlan {
  // One empty folder for every executor of this process: they cannot write to it.
  plainCwd ??= mkdtempSync(join(tmpdir(), "litmus-sandbox-"));
  return {
    command: process.execPath,
    args: node,
    cwd: plainCwd,
    namespaces: false,
    namespacesMissing: why,
  };
}
