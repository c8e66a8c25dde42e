/**
 * The run folder an audit writes: refused when it holds files that are not a litmus run (litmus
 * would write its exports among someone's files), and locked while an audit writes it, so two
 * audits into one folder never interleave. A lock left by a killed run is taken over: its process
 * is gone.
 */
import { randomBytes } from "node:crypto";
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
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
  /** Random per process: a restarted container may reuse the host name and the pid. */
  token: string;
}

/** This process's token and the locks it holds (a lock with our pid but another token is stale). */
const PROCESS_TOKEN = randomBytes(8).toString("hex");
/** A lock file that cannot be read is being written, unless it is older than this. */
const UNREADABLE_GRACE_MS = 10_000;

/** Checks and locks `dir` for one audit; returns the function that releases the lock. */
export function claimRunFolder(dir: string, now: () => Date = () => new Date()): () => void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory())
      throw new InputError(`${dir}: not a folder (--out names the run folder)`);
    const entries = readdirSync(dir).filter(
      (name) => name !== LOCK_FILE && !name.startsWith(`${LOCK_FILE}.`),
    );
    if (entries.length > 0 && !entries.includes(RUN_DB_FILE)) {
      throw new InputError(
        `${dir}: the folder holds other files and no litmus run (${RUN_DB_FILE}); choose a new or empty folder for --out`,
      );
    }
  }
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, LOCK_FILE);
  const record: LockRecord = {
    pid: process.pid,
    host: hostname(),
    since: now().toISOString(),
    token: PROCESS_TOKEN,
  };
  // The record is written in full to a file of its own, then linked into place: linking fails if
  // the lock exists, so no other process ever reads a half-written lock of ours.
  const mine = `${lock}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(mine, `${JSON.stringify(record)}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(mine, lock);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
        const holder = readLock(lock);
        if (holder === "unreadable" || (holder !== null && holdsLock(holder))) {
          const who =
            holder === "unreadable" || holder === null
              ? "a litmus audit that is starting"
              : `another litmus audit (pid ${holder.pid} on ${holder.host}, since ${holder.since})`;
          throw new InputError(
            `${dir}: ${who} is writing this folder; wait for it to end, or delete ${lock} if that run is gone`,
          );
        }
        unlinkSync(lock); // left by a run that is gone
      }
    }
  } finally {
    unlinkSync(mine);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const holder = readLock(lock);
    if (holder !== "unreadable" && holder?.token === PROCESS_TOKEN) unlinkSync(lock);
  };
}

/** The lock's record; null when there is none; "unreadable" when it cannot be read yet. */
function readLock(path: string): LockRecord | null | "unreadable" {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT" ? null : "unreadable";
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockRecord>;
    if (typeof parsed.pid === "number" && typeof parsed.host === "string") {
      return {
        pid: parsed.pid,
        host: parsed.host,
        since: String(parsed.since ?? "?"),
        token: String(parsed.token ?? ""),
      };
    }
  } catch {
    // fall through: not a lock record
  }
  // A lock file that is not a record: held while it is young (being written), stale when old.
  const age = Date.now() - statSync(path).mtimeMs;
  return age < UNREADABLE_GRACE_MS ? "unreadable" : { pid: -1, host: hostname(), since: "?", token: "" };
}

/**
 * Whether the lock's holder still runs. A process on another host cannot be checked from here, so
 * its lock is honoured; on this host, a lock of this process's token is held, one with this
 * process's pid but another token was left by an earlier process (a restarted container), and any
 * other pid holds it while that process exists.
 */
function holdsLock(holder: LockRecord): boolean {
  if (holder.host !== hostname()) return true;
  if (holder.token === PROCESS_TOKEN) return true;
  if (holder.pid === process.pid || holder.pid <= 0) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
