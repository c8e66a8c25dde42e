import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the scripted server does with one request. */
export type Reply =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Wait before answering (longer than the client's timeout: a slow server). */
  | { delayMs: number; reply: Reply }
  /** Close the connection without an answer. */
  | { drop: true }
  /** A 200 whose body stops mid-JSON. */
  | { truncated: true };

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
  if ("truncated" in reply) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"choices": [{"text": "hal');
    return;
  }
  const text = reply.body === undefined ? "" : JSON.stringify(reply.body);
  res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
  res.end(text);
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
