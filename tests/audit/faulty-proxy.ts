/**
 * What the audits through a served model share: a proxy in front of a real server that fails
 * generations on cue (a killed run, to resume), audit deps that print nothing, and the samples a
 * run folder holds.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { openAuditBackend } from "../../src/audit/backends.js";
import type { AuditDeps } from "../../src/audit/run.js";

export interface FaultyProxy {
  url: string;
  /** Generations forwarded so far; from `failAfter` on, each is answered with 500 instead. */
  state: { failAfter: number; forwarded: number };
  close: () => Promise<void>;
}

/**
 * Forwards every request to `target` (a base URL without /v1); requests `isGeneration` picks out
 * are counted, and answered with 500 once `state.failAfter` of them went through.
 */
export async function faultyProxy(
  target: string,
  isGeneration: (url: string, body: string) => boolean,
): Promise<FaultyProxy> {
  const state = { failAfter: Number.POSITIVE_INFINITY, forwarded: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const generation = isGeneration(req.url ?? "", raw);
      if (generation && state.forwarded >= state.failAfter) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "simulated outage" } }));
        return;
      }
      if (generation) state.forwarded++;
      const answer = await fetch(`${target}${req.url!.replace(/^\/v1/, "")}`, {
        method: req.method!,
        headers: { "content-type": "application/json" },
        ...(raw ? { body: raw } : {}),
      });
      const text = await answer.text();
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    state,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Audit deps that open the real backends and print nothing. */
export function quietDeps(): AuditDeps {
  return {
    openBackend: (o) => openAuditBackend(o, () => {}),
    progress: null,
    log: () => {},
    print: () => {},
  };
}

/** The records of a run folder's samples.jsonl. */
export function runSamples(dir: string): Array<Record<string, unknown>> {
  return readFileSync(join(dir, "samples.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
