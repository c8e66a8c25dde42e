import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the scripted server does with one request. */
export type Reply =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Wait before answering (longer than the client's timeout: a slow server). */
  | { delayMs: number; reply: Reply }
  /** Close the connection without an answer. */
  | { drop: true }
  /** A 200 whose body stops mid-JSON: the connection drops before the declared length is sent. */
  | { truncated: true }
  /** A body sent as written (not JSON-encoded): an HTML page, plain text. */
  | { status: number; raw: string; headers?: Record<string, string> }
  /**
   * A 200 completions answer whose text is `textBytes` bytes of "a", streamed with backpressure;
   * `sent.bytes` counts what the server managed to write before the client stopped reading.
   */
  | { hugeText: number; sent: { bytes: number } };

export interface Received {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}

/**
 * A real HTTP server on 127.0.0.1 whose answers come from a script: `reply(received, index)` for
 * the index-th request. Records every request it got.
 */
export async function scriptedServer(
  reply: (received: Received, index: number) => Reply,
): Promise<{ url: string; received: Received[]; close: () => Promise<void>; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const r: Received = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      };
      received.push(r);
      void answer(res, reply(r, received.length - 1));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    received,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function answer(res: ServerResponse, reply: Reply): Promise<void> {
  if ("delayMs" in reply) {
    await new Promise((r) => setTimeout(r, reply.delayMs));
    if (res.destroyed) return;
    return answer(res, reply.reply);
  }
  if ("drop" in reply) {
    res.socket?.destroy();
    return;
  }
  if ("raw" in reply) {
    res.writeHead(reply.status, { "content-type": "text/html", ...reply.headers });
    res.end(reply.raw);
    return;
  }
  if ("hugeText" in reply) return streamHugeText(res, reply.hugeText, reply.sent);
  if ("truncated" in reply) {
    const whole = JSON.stringify((okCompletion("half and half") as { body: unknown }).body);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(whole) });
    res.write(whole.slice(0, 30), () => res.socket?.destroy());
    return;
  }
  const text = reply.body === undefined ? "" : JSON.stringify(reply.body);
  res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
  res.end(text);
}

async function streamHugeText(
  res: ServerResponse,
  textBytes: number,
  sent: { bytes: number },
): Promise<void> {
  res.writeHead(200, { "content-type": "application/json" });
  const write = async (chunk: string): Promise<boolean> => {
    if (res.destroyed) return false;
    sent.bytes += Buffer.byteLength(chunk);
    if (!res.write(chunk))
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    return !res.destroyed;
  };
  if (
    !(await write(
      '{"id":"cmpl-huge","object":"text_completion","created":0,"model":"m","choices":[{"index":0,"text":"',
    ))
  )
    return;
  const piece = "a".repeat(64 * 1024);
  for (let left = textBytes; left > 0; left -= piece.length)
    if (!(await write(left >= piece.length ? piece : piece.slice(0, left)))) return;
  await write(
    '","logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}',
  );
  res.end();
}

/** A minimal valid completions answer. */
export function okCompletion(text: string, extra: Record<string, unknown> = {}): Reply {
  return {
    status: 200,
    body: {
      id: "cmpl-1",
      object: "text_completion",
      created: 0,
      model: "m",
      choices: [{ index: 0, text, logprobs: null, finish_reason: "stop", ...extra }],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    },
  };
}

export const MODELS: Reply = {
  status: 200,
  body: { object: "list", data: [{ id: "m", object: "model", created: 0, owned_by: "test" }] },
};

/**
 * The `litmus audit` arguments of a small greedy run of litmus-mini against a served model at
 * `url` (newline probe, `--quiet`), written to `out`; `extra` adds or overrides flags after them.
 */
export function servedAuditArgs(
  url: string,
  out: string,
  o: { limit: number; n: number; maxNewTokens?: number },
  extra: readonly string[] = [],
): string[] {
  return [
    "audit",
    ...["--backend", "openai", "--endpoint", url, "--model-name", "m"],
    ...["--dataset", "litmus-mini", "--limit", String(o.limit), "--probes", "newline", "--n", String(o.n)],
    ...(o.maxNewTokens === undefined ? [] : ["--max-new-tokens", String(o.maxNewTokens)]),
    ...["--quiet", "--out", out],
    ...extra,
  ];
}
