/**
 * `litmus serve`: the ONNX runner over HTTP, as the OpenAI completions subset (`GET /v1/models`,
 * `POST /v1/completions`, `POST /v1/chat/completions`, plus `GET /health` and vLLM's `POST /tokenize`). Binds 127.0.0.1 unless told otherwise; with an API
 * key, every /v1 request must carry it as a Bearer token.
 */
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ErrorBody, ModelsResponse } from "../openai/protocol.js";
import type { ChatTemplate } from "../prompts/chat-template.js";
import type { OnnxBackend } from "../runner/onnx-backend.js";
import { InputError } from "../util/errors.js";
import { terminalSafe } from "../util/terminal-text.js";
import { charsPastContext, chatPrompt, completeChat, parseChatBody, parseMessages } from "./chat.js";
import { ClientError, complete, parseCompletionsBody } from "./completions.js";
import { DEFAULT_LIMITS, limitOption, MAX_CHARS_PER_TOKEN, type ServeLimits } from "./limits.js";
import { Cancelled, ModelQueue, type QueueOptions } from "./queue.js";
import { TokenizeCancelled, TokenizerWorker } from "./tokenizer-worker.js";

export interface ServeOptions extends QueueOptions, Partial<ServeLimits> {
  /** Name clients pass as `model`. */
  modelName: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  apiKey?: string;
  /**
   * The model's chat template for `/v1/chat/completions`; null or absent: litmus's plain
   * transcript (`System: ...`, `User: ...`, ending `Assistant:`).
   */
  chatTemplate?: ChatTemplate | null;
  /** One line per request (method, path, status, ms); none when omitted. */
  log?: (line: string) => void;
}

export interface RunningServer {
  /** Base URL up to /v1, e.g. http://127.0.0.1:8000/v1. */
  url: string;
  port: number;
  queue: ModelQueue;
  server: Server;
  close(): Promise<void>;
}

/** What every request handler shares. */
interface Served {
  queue: ModelQueue;
  tokenizer: TokenizerWorker;
  limits: ServeLimits;
  options: ServeOptions;
  created: number;
}

export async function startServer(backend: OnnxBackend, options: ServeOptions): Promise<RunningServer> {
  const limits: ServeLimits = {
    maxPrompts: options.maxPrompts ?? DEFAULT_LIMITS.maxPrompts,
    maxRequestTokens: options.maxRequestTokens ?? DEFAULT_LIMITS.maxRequestTokens,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes,
    maxMessages: options.maxMessages ?? DEFAULT_LIMITS.maxMessages,
  };
  const served: Served = {
    queue: new ModelQueue(backend, options),
    tokenizer: await TokenizerWorker.open(backend.lm.dir),
    limits,
    options,
    created: Math.floor(Date.now() / 1000),
  };
  const { queue } = served;
  const server = createServer((req, res) => {
    const started = Date.now();
    // A client that leaves before its answer is written cancels the work still to do for it.
    const gone = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) gone.abort();
    });
    handle(req, res, served, gone.signal)
      .catch((err) => {
        if (err instanceof Cancelled || err instanceof TokenizeCancelled) return;
        sendError(res, err);
      })
      .finally(() =>
        options.log?.(
          // The path is the client's text: nothing in it may act on the server's terminal.
          `${req.method} ${terminalSafe(req.url ?? "")} ${gone.signal.aborted ? "cancelled (client left)" : res.statusCode} ${Date.now() - started} ms`,
        ),
      );
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8000, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/v1`,
    port,
    queue,
    server,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await served.tokenizer.close();
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  served: Served,
  signal: AbortSignal,
): Promise<void> {
  const { queue, options, created, limits } = served;
  const path = (req.url ?? "/").split("?")[0]!.replace(/\/+$/, "");
  if (path === "/health" && req.method === "GET") return sendJson(res, 200, { status: "ok" });
  if (options.apiKey !== undefined && !authorized(req, options.apiKey))
    throw new ClientError(401, "missing or wrong API key (send Authorization: Bearer KEY)");
  if (path === "/v1/models") {
    if (req.method !== "GET") throw new ClientError(405, "use GET");
    const body: ModelsResponse = {
      object: "list",
      data: [
        {
          id: options.modelName,
          object: "model",
          created,
          owned_by: "litmus",
          max_model_len: queue.backend.lm.maxContext,
        },
      ],
    };
    return sendJson(res, 200, body);
  }
  if (path === "/v1/completions") {
    if (req.method !== "POST") throw new ClientError(405, "use POST");
    const parsed = parseJson(await readBody(req, res, limits.maxBodyBytes));
    const settings = parseCompletionsBody(parsed, options.modelName);
    const answer = await complete(
      { queue, tokenizer: served.tokenizer, limits, servedModel: options.modelName, signal },
      settings,
    );
    return sendJson(res, 200, answer);
  }
  if (path === "/v1/chat/completions") {
    if (req.method !== "POST") throw new ClientError(405, "use POST");
    const parsed = parseJson(await readBody(req, res, limits.maxBodyBytes));
    const settings = parseChatBody(parsed, options.modelName, options.chatTemplate ?? null, {
      maxMessages: limits.maxMessages,
      maxContext: queue.backend.lm.maxContext,
    });
    const answer = await completeChat(
      { queue, tokenizer: served.tokenizer, limits, servedModel: options.modelName, signal },
      settings,
    );
    return sendJson(res, 200, answer);
  }
  if (path === "/tokenize") {
    // vLLM's tokenize endpoint (beside /v1): how long a prompt is for this model, so a client
    // can check its prompts against the context before sending any.
    if (req.method !== "POST") throw new ClientError(405, "use POST");
    const body = parseJson(await readBody(req, res, limits.maxBodyBytes)) as {
      model?: unknown;
      prompt?: unknown;
      messages?: unknown;
    };
    if (body?.model !== undefined && body.model !== options.modelName)
      throw new ClientError(
        404,
        `model ${String(body.model)} is not served here (serving ${options.modelName})`,
      );
    const maxContext = queue.backend.lm.maxContext;
    // A chat (`messages`, as vLLM takes it) is counted as /v1/chat/completions renders it, after
    // the bounds that keep its rendering short (--max-messages; text that cannot fit the context
    // is answered, unrendered, as any prompt past the context: a count past max_model_len).
    if (body?.messages !== undefined && body.prompt === undefined) {
      const messages = parseMessages(body.messages, limits.maxMessages);
      const chars = charsPastContext(messages, maxContext);
      if (chars !== null)
        return sendJson(res, 200, {
          count: Math.ceil(chars / MAX_CHARS_PER_TOKEN),
          max_model_len: maxContext,
          tokens: null,
        });
      body.prompt = chatPrompt(messages, options.chatTemplate ?? null);
    }
    if (typeof body?.prompt !== "string") throw new ClientError(400, '"prompt" must be a string');
    // Counted up to the context and a bit (tokenize-worker.ts): a longer prompt gets a count past
    // max_model_len, all a client needs to know, and costs no more to measure than one that fits.
    const result = await served.tokenizer.tokenize(body.prompt, maxContext, signal);
    if ("over" in result)
      return sendJson(res, 200, { count: result.counted, max_model_len: maxContext, tokens: null });
    return sendJson(res, 200, {
      count: Math.max(result.ids.length, 1),
      max_model_len: maxContext,
      tokens: result.ids,
    });
  }
  throw new ClientError(
    404,
    `no route ${req.method} ${path} (litmus serves GET /v1/models, POST /v1/completions, POST /v1/chat/completions, POST /tokenize)`,
  );
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new ClientError(400, "the body is not valid JSON");
  }
}

function authorized(req: IncomingMessage, key: string): boolean {
  const given = Buffer.from(req.headers.authorization ?? "");
  const wanted = Buffer.from(`Bearer ${key}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/**
 * The body as text, at most `limit` bytes. Past it, the request is refused (413) at once: the
 * rest is read and dropped (so the client, still sending, gets the answer) and the connection
 * closes after the answer.
 */
function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const over = () => {
      res.shouldKeepAlive = false;
      reject(
        new ClientError(413, `the body is over the limit of ${limit} bytes (${limitOption("maxBodyBytes")})`),
      );
    };
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      return over();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        req.off("data", onData);
        req.resume();
        return over();
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, err: unknown): void {
  // The runner's InputErrors (a prompt too long, a bad setting) are the client's to fix too.
  const client = err instanceof ClientError || err instanceof InputError;
  const status = err instanceof ClientError ? err.status : client ? 400 : 500;
  const body: ErrorBody = {
    error: {
      message: err instanceof Error ? err.message : String(err),
      type: client ? "invalid_request_error" : "server_error",
      param: err instanceof ClientError ? err.param : null,
      code: status,
    },
  };
  sendJson(res, status, body);
}
