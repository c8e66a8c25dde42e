/**
 * The run folder an audit writes: refused when it holds files that are not a litmus run (litmus
 * would write its exports among someone's files), and locked while an audit writes it, so two
 * audits into one folder never interleave. A lock left by a killed run is taken over: its process
 * is gone.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { RUN_DB_FILE } from "../store/index.js";
import { InputError } from "../util/errors.js";

export const LOCK_FILE = ".litmus.lock";

interface LockRecord {
  pid: number;
  host: string;
  since: string;
}

/** Checks and locks `dir` for one audit; returns the function that releases the lock. */
export function claimRunFolder(dir: string, now: () => Date = () => new Date()): () => void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory())
      throw new InputError(`${dir}: not a folder (--out names the run folder)`);
    const entries = readdirSync(dir).filter((name) => name !== LOCK_FILE);
    if (entries.length > 0 && !entries.includes(RUN_DB_FILE)) {
      throw new InputError(
        `${dir}: the folder holds other files and no litmus run (${RUN_DB_FILE}); choose a new or empty folder for --out`,
      );
    }
  }
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, LOCK_FILE);
  const record: LockRecord = { pid: process.pid, host: hostname(), since: now().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lock, "wx");
      try {
        writeSync(fd, `${JSON.stringify(record)}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
      const holder = readLock(lock);
      if (holder && holdsLock(holder)) {
        throw new InputError(
          `${dir}: another litmus audit (pid ${holder.pid} on ${holder.host}, since ${holder.since}) is writing this folder; wait for it to end, or delete ${lock} if that run is gone`,
        );
      }
      unlinkSync(lock); // left by a run that was killed: its process is gone
    }
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const holder = readLock(lock);
    if (holder?.pid === process.pid && holder.host === record.host) unlinkSync(lock);
  };
}

function readLock(path: string): LockRecord | null {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<LockRecord>;
    if (typeof parsed.pid !== "number" || typeof parsed.host !== "string") return null;
    return { pid: parsed.pid, host: parsed.host, since: String(parsed.since ?? "?") };
  } catch {
    return null; // unreadable or half-written: no live holder can be named
  }
}

/**
 * Whether the lock's holder still runs. A process on another host cannot be checked from here, so
 * its lock is honoured; on this host, a pid that no longer exists has let go.
 */
function holdsLock(holder: LockRecord): boolean {
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
