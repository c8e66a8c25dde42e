/**
 * Worker-thread entry of {@link TokenizerWorker}: tokenizes prompts for `litmus serve` off the
 * event loop. Jobs take turns a piece at a time (round robin), so a megabyte prompt delays another
 * request's prompt by one piece (~16 KB of text, some 10-20 ms), not by its whole length; and a
 * text is given up on as soon as it is known to pass its job's token limit.
 */
import { parentPort, workerData } from "node:worker_threads";
import { readModelDir } from "../runner/model-dir.js";
import { TextTokenizer } from "../runner/tokenizer.js";
import { type FromTokenizer, PIECE_CHARS, type TokenizeJob, type ToTokenizer } from "./tokenize-protocol.js";

const port = parentPort;
if (!port) throw new Error("tokenize-worker.js must run in a worker thread");

function post(msg: FromTokenizer): void {
  port!.postMessage(msg);
}

let tokenizer: TextTokenizer;
try {
  const md = readModelDir((workerData as { modelDir: string }).modelDir);
  tokenizer = new TextTokenizer(md.tokenizerJson, md.tokenizerConfig);
  post({ kind: "ready" });
} catch (err) {
  post({ kind: "failed", message: err instanceof Error ? err.message : String(err) });
  throw err;
}

/** A job in progress: a long text is first counted piece by piece from `at`. */
interface Active {
  job: TokenizeJob;
  at: number;
  counted: number;
}

const active: Active[] = [];
let running = false;

port.on("message", (msg: ToTokenizer) => {
  if (msg.kind === "cancel") {
    const i = active.findIndex((a) => a.job.id === msg.id);
    if (i >= 0) active.splice(i, 1);
    return;
  }
  active.push({ job: msg, at: 0, counted: 0 });
  if (!running) void work();
});

/** One piece of the first job, then it goes to the back; messages are read between pieces. */
async function work(): Promise<void> {
  running = true;
  while (active.length > 0) {
    const a = active.shift()!;
    const done = step(a);
    if (done) post(done);
    else active.push(a);
    await new Promise<void>((r) => setImmediate(r));
  }
  running = false;
}

function step(a: Active): FromTokenizer | null {
  const { text, limit, id } = a.job;
  // A short text, or a long one whose count stayed under the limit: tokenized whole, exactly.
  if (text.length <= PIECE_CHARS || a.at >= text.length) {
    const ids = tokenizer.encode(text);
    return ids.length > limit
      ? { kind: "over", id, counted: ids.length, exact: true }
      : { kind: "ids", id, ids };
  }
  const end = pieceEnd(text, a.at);
  a.counted += tokenizer.encode(text.slice(a.at, end)).length;
  a.at = end;
  // Cutting a text can only add a token or two at each cut: allow for them before giving up.
  const pieces = Math.ceil(a.at / PIECE_CHARS);
  return a.counted > limit + 2 * pieces ? { kind: "over", id, counted: a.counted, exact: false } : null;
}

/** Where the piece from `start` ends: before a word after whitespace, near PIECE_CHARS on. */
function pieceEnd(text: string, start: number): number {
  const hard = Math.min(text.length, start + PIECE_CHARS);
  if (hard === text.length) return hard;
  for (let i = hard; i > start + PIECE_CHARS / 2; i--)
    if (/\s/.test(text[i - 1]!) && !/\s/.test(text[i]!)) return i;
  // No whitespace: do not split a surrogate pair.
  const code = text.charCodeAt(hard);
  return code >= 0xdc00 && code <= 0xdfff ? hard - 1 : hard;
}
