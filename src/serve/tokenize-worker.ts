/**
 * Worker-thread entry of {@link TokenizerWorker}: tokenizes prompts for `litmus serve` off the
 * event loop. Jobs take turns a piece at a time (round robin), so a megabyte prompt delays another
 * request's prompt by one piece (~16 KB of text, some 10-20 ms), not by its whole length; and a
 * text is given up on as soon as it is known to pass its job's token limit.
 *
 * The same worker reads large request bodies (`prepare`, bodies.ts): `litmus serve` runs a second
 * one for them, so that parsing megabytes does not hold up the first one's turns.
 */
import { parentPort, workerData } from "node:worker_threads";
import { compileChatTemplate } from "../prompts/chat-template.js";
import { readModelDir } from "../runner/model-dir.js";
import { TextTokenizer } from "../runner/tokenizer.js";
import { type BodyContext, clientFault, parseJson, prepareCompletion, tokenizeAnswer } from "./bodies.js";
import {
  type FromTokenizer,
  PIECE_CHARS,
  type PrepareJob,
  type TokenizeJob,
  type TokenizerWorkerData,
  type ToTokenizer,
} from "./tokenize-protocol.js";

const port = parentPort;
if (!port) throw new Error("tokenize-worker.js must run in a worker thread");

function post(msg: FromTokenizer): void {
  port!.postMessage(msg);
}

const data = workerData as TokenizerWorkerData;
let tokenizer: TextTokenizer;
let chatTemplate: BodyContext["chatTemplate"] = null;
try {
  const md = readModelDir(data.modelDir);
  tokenizer = new TextTokenizer(md.tokenizerJson, md.tokenizerConfig);
  if (data.chatTemplate) {
    const t = data.chatTemplate;
    chatTemplate = compileChatTemplate(t.text, t.source, t.tokens);
  }
  post({ kind: "ready" });
} catch (err) {
  post({ kind: "failed", message: err instanceof Error ? err.message : String(err) });
  throw err;
}

/** A job in progress: a long text is first counted piece by piece from `at`. */
interface Active {
  job: Pick<TokenizeJob, "id" | "text" | "limit">;
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
  if (msg.kind === "prepare") {
    void prepare(msg).then(post);
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

/** A text's ids or its count past `limit`, worked out in one go (the body worker's own jobs). */
function tokenizeNow(text: string, limit: number): FromTokenizer {
  const a: Active = { job: { id: -1, text, limit }, at: 0, counted: 0 };
  for (;;) {
    const done = step(a);
    if (done) return done;
  }
}

/** A large body decoded, parsed, checked and tokenized: what the event loop then needs, or the error. */
async function prepare(job: PrepareJob): Promise<FromTokenizer> {
  const ctx: BodyContext = {
    servedModel: job.servedModel,
    chatTemplate,
    limits: job.limits,
    maxContext: job.maxContext,
    signal: new AbortController().signal,
    tokenizer: {
      tokenize: async (text, limit) => {
        const r = tokenizeNow(text, limit);
        if (r.kind === "ids") return { ids: r.ids };
        if (r.kind === "over") return { over: true, counted: r.counted, exact: r.exact };
        throw new Error(`unexpected tokenizer result ${r.kind}`);
      },
    },
  };
  try {
    const body = parseJson(
      Buffer.from(job.body.buffer, job.body.byteOffset, job.body.length).toString("utf8"),
    );
    if (job.route === "tokenize")
      return { kind: "answer", id: job.id, answer: await tokenizeAnswer(body, ctx) };
    const { settings, ids } = await prepareCompletion(job.route, body, ctx);
    return { kind: "prepared", id: job.id, settings, ids };
  } catch (err) {
    const fault = clientFault(err);
    if (fault) return { kind: "refused", id: job.id, ...fault };
    return {
      kind: "refused",
      id: job.id,
      status: 500,
      message: err instanceof Error ? err.message : String(err),
      param: null,
    };
  }
}
