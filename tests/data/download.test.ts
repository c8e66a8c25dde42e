import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, before, beforeEach, describe, it } from "node:test";
import { GSM8K_FILES } from "../../src/data/gsm8k.js";
import { resolveDataset } from "../../src/data/resolve.js";
import { InputError } from "../../src/util/errors.js";
import { makeTempDir, sharedGsm8kFile } from "../helpers/data-fixtures.js";

const TEST_PATH = "/grade_school_math/data/test.jsonl";
const EXPECTED_SHA = GSM8K_FILES.test.sha256;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A real HTTP server on 127.0.0.1 that records every request path. */
async function startServer(
  handler: Handler,
): Promise<{ baseUrl: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? "");
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        // fetch keeps connections alive; drop them so close() returns now.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function serve(body: Uint8Array): Handler {
  return (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": body.byteLength });
    res.end(body);
  };
}

function assertInputError(message: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof InputError, `expected InputError, got ${String(err)}`);
    assert.match(err.message, message);
    assert.ok(!err.message.includes("\n"), "message must be one line");
    return true;
  };
}

describe("gsm8k download", () => {
  let gsm8kBytes: Uint8Array = new Uint8Array(0);
  let cacheRoot = "";
  let cleanup = async () => {};
  const servers: Array<() => Promise<void>> = [];

  before(async () => {
    gsm8kBytes = await readFile(sharedGsm8kFile("test.jsonl"));
  });
  beforeEach(async () => {
    ({ dir: cacheRoot, cleanup } = await makeTempDir("litmus-cache-"));
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((close) => close()));
    await cleanup();
  });

  async function server(handler: Handler) {
    const s = await startServer(handler);
    servers.push(s.close);
    return s;
  }
  const cacheFiles = async () => readdir(join(cacheRoot, "datasets")).catch(() => [] as string[]);
  const cachePath = () => join(cacheRoot, "datasets", "gsm8k-test.jsonl");

  it("downloads and caches on first use, then reads the cache without a request", async () => {
    const { baseUrl, requests } = await server(serve(gsm8kBytes));
    const logs: string[] = [];
    const options = { cacheDir: cacheRoot, baseUrl, env: {}, log: (m: string) => logs.push(m) };

    const first = await resolveDataset("gsm8k", options);
    assert.deepEqual(requests, [TEST_PATH]);
    assert.equal(first.name, "gsm8k-test");
    assert.equal(first.path, cachePath());
    assert.equal(first.sha256, EXPECTED_SHA);
    assert.equal(first.problems.length, 1319);
    assert.equal(first.problems[0]?.id, "gsm8k-test:1");
    assert.deepEqual(await readFile(cachePath()), Buffer.from(gsm8kBytes));
    assert.deepEqual(await cacheFiles(), ["gsm8k-test.jsonl"]);
    assert.deepEqual(logs, [`downloading ${baseUrl}${TEST_PATH}`]);

    const second = await resolveDataset("gsm8k", { ...options, split: "test" });
    assert.equal(requests.length, 1, "the second use must not download");
    assert.equal(second.sha256, EXPECTED_SHA);
    assert.deepEqual(
      second.problems.map((p) => p.hash),
      first.problems.map((p) => p.hash),
    );
  });

  it("reads the cache folder and base URL from LITMUS_CACHE_DIR and LITMUS_GSM8K_BASE_URL", async () => {
    const { baseUrl, requests } = await server(serve(gsm8kBytes));
    const env = { LITMUS_CACHE_DIR: cacheRoot, LITMUS_GSM8K_BASE_URL: `${baseUrl}/` };
    const dataset = await resolveDataset("gsm8k", { env });
    assert.deepEqual(requests, [TEST_PATH]);
    assert.equal(dataset.path, cachePath());
    assert.deepEqual(await cacheFiles(), ["gsm8k-test.jsonl"]);
  });

  it("re-downloads a cached file that fails its checksum", async () => {
    const { baseUrl, requests } = await server(serve(gsm8kBytes));
    const options = { cacheDir: cacheRoot, baseUrl, env: {} };
    await resolveDataset("gsm8k", options);
    const damaged = Buffer.from(gsm8kBytes);
    damaged[100] = (damaged[100] as number) ^ 1;
    await writeFile(cachePath(), damaged);

    const dataset = await resolveDataset("gsm8k", options);
    assert.equal(requests.length, 2);
    assert.equal(dataset.sha256, EXPECTED_SHA);
    assert.deepEqual(await readFile(cachePath()), Buffer.from(gsm8kBytes));
  });

  it("rejects altered bytes, naming both checksums, and caches nothing", async () => {
    const altered = Buffer.from(gsm8kBytes);
    altered[altered.length - 3] = "8".charCodeAt(0);
    const { baseUrl, requests } = await server(serve(altered));
    await assert.rejects(
      resolveDataset("gsm8k", { cacheDir: cacheRoot, baseUrl, env: {} }),
      assertInputError(
        new RegExp(
          `has sha256 (?!${EXPECTED_SHA})[0-9a-f]{64}, expected ${EXPECTED_SHA}; nothing was cached`,
        ),
      ),
    );
    await assert.rejects(resolveDataset("gsm8k", { cacheDir: cacheRoot, baseUrl, env: {} }), InputError);
    assert.equal(requests.length, 2, "a failed download is retried, not cached");
    assert.deepEqual(await cacheFiles(), []);
  });

  it("rejects a body cut short of its Content-Length and caches nothing", async () => {
    const { baseUrl } = await server((_req, res) => {
      res.writeHead(200, { "content-length": gsm8kBytes.byteLength });
      res.write(gsm8kBytes.subarray(0, 100_000), () => res.socket?.destroy());
    });
    await assert.rejects(
      resolveDataset("gsm8k", { cacheDir: cacheRoot, baseUrl, env: {} }),
      assertInputError(
        /could not download GSM8K test split .*\(download stopped after \d+ of 749738 bytes: /,
      ),
    );
    assert.deepEqual(await cacheFiles(), []);
  });

  it("reports HTTP errors with their status and caches nothing", async () => {
    for (const status of [404, 500]) {
      const { baseUrl } = await server((_req, res) => {
        res.writeHead(status, { "content-type": "text/plain" });
        res.end("nope");
      });
      await assert.rejects(
        resolveDataset("gsm8k", { cacheDir: cacheRoot, baseUrl, env: {} }),
        assertInputError(new RegExp(`\\(HTTP ${status} [A-Za-z ]+\\); pass --dataset PATH`)),
      );
    }
    assert.deepEqual(await cacheFiles(), []);
  });

  it("reports a refused connection as offline and suggests --dataset PATH", async () => {
    const { baseUrl, close } = await startServer(serve(gsm8kBytes));
    await close();
    const url = `${baseUrl}${TEST_PATH}`.replace(/[.]/g, "\\.");
    await assert.rejects(
      resolveDataset("gsm8k", { cacheDir: cacheRoot, baseUrl, env: {} }),
      assertInputError(
        new RegExp(
          `^could not download GSM8K test split from ${url} \\(connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+\\); pass --dataset PATH`,
        ),
      ),
    );
    assert.deepEqual(await cacheFiles(), []);
  });

  it("gives up on a server that never answers", async () => {
    const { baseUrl } = await server(() => {});
    await assert.rejects(
      resolveDataset("gsm8k", { cacheDir: cacheRoot, baseUrl, env: {}, timeoutMs: 200 }),
      assertInputError(/\(timed out after 200 ms\)/),
    );
    assert.deepEqual(await cacheFiles(), []);
  });
});
