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
import {
  type BodyContext,
  INLINE_BODY_BYTES,
  type PreparedCompletion,
  parseJson,
  prepareCompletion,
  tokenizeAnswer,
} from "./bodies.js";
import { completeChat } from "./chat.js";
import { ClientError, complete } from "./completions.js";
import { DEFAULT_LIMITS, limitOption, type ServeLimits } from "./limits.js";
import { Cancelled, ModelQueue, type QueueOptions } from "./queue.js";
import { type BodyTerms, TokenizeCancelled, TokenizerWorker } from "./tokenizer-worker.js";

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
  /** A second worker for bodies over INLINE_BODY_BYTES (bodies.ts), so they never wait for one. */
  bodies: TokenizerWorker;
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
    bodies: await TokenizerWorker.open(backend.lm.dir, options.chatTemplate ?? null),
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
      await served.bodies.close();
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
  if (path === "/v1/completions" || path === "/v1/chat/completions") {
    if (req.method !== "POST") throw new ClientError(405, "use POST");
    const route = path === "/v1/completions" ? "completions" : "chat";
    const body = await readBody(req, res, limits.maxBodyBytes);
    const { settings, ids } = await prepared(route, body, served, signal);
    const ctx = { queue, servedModel: options.modelName, signal };
    return sendJson(
      res,
      200,
      route === "chat" ? await completeChat(ctx, settings, ids) : await complete(ctx, settings, ids),
    );
  }
  if (path === "/tokenize") {
    // vLLM's tokenize endpoint (beside /v1): see bodies.ts.
    if (req.method !== "POST") throw new ClientError(405, "use POST");
    const body = await readBody(req, res, limits.maxBodyBytes);
    const answer =
      body.length > INLINE_BODY_BYTES
        ? await served.bodies.tokenizeBody(body, bodyTerms(served), signal)
        : await tokenizeAnswer(parseJson(body.toString("utf8")), bodyContext(served, signal));
    return sendJson(res, 200, answer);
  }
  throw new ClientError(
    404,
    `no route ${req.method} ${path} (litmus serves GET /v1/models, POST /v1/completions, POST /v1/chat/completions, POST /tokenize)`,
  );
}

/** A completions or chat body read: on the event loop when small, in the body worker when large. */
function prepared(
  route: "completions" | "chat",
  body: Buffer,
  served: Served,
  signal: AbortSignal,
): Promise<PreparedCompletion> {
  return body.length > INLINE_BODY_BYTES
    ? served.bodies.prepareCompletion(route, body, bodyTerms(served), signal)
    : prepareCompletion(route, parseJson(body.toString("utf8")), bodyContext(served, signal));
}

function bodyTerms(served: Served): BodyTerms {
  return {
    servedModel: served.options.modelName,
    limits: served.limits,
    maxContext: served.queue.backend.lm.maxContext,
  };
}

function bodyContext(served: Served, signal: AbortSignal): BodyContext {
  return {
    ...bodyTerms(served),
    chatTemplate: served.options.chatTemplate ?? null,
    tokenizer: served.tokenizer,
    signal,
  };
}

function authorized(req: IncomingMessage, key: string): boolean {
  const given = Buffer.from(req.headers.authorization ?? "");
  const wanted = Buffer.from(`Bearer ${key}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/**
 * The body's bytes, at most `limit`. Past it, the request is refused (413) at once: the rest is
 * read and dropped (so the client, still sending, gets the answer) and the connection closes
 * after the answer. Each chunk is copied as it comes into one buffer (of the declared length when
 * there is one), so no single turn of the event loop copies megabytes.
 */
function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer> {
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
    let body = Buffer.alloc(Number.isInteger(declared) && declared >= 0 ? declared : 64 * 1024);
    let size = 0;
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > limit) {
        body = Buffer.alloc(0);
        req.off("data", onData);
        req.resume();
        return over();
      }
      if (size + chunk.length > body.length) {
        const grown = Buffer.alloc(Math.min(limit, Math.max(2 * body.length, size + chunk.length)));
        body.copy(grown, 0, 0, size);
        body = grown;
      }
      chunk.copy(body, size);
      size += chunk.length;
    };
    req.on("data", onData);
    req.on("end", () => resolve(size === body.length ? body : body.subarray(0, size)));
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
