/**
 * Not a test: the measurement behind README's figure for --max-completion-bytes. Runs the real CLI
 * (`litmus audit --backend openai`, 3 greedy prompts) against a stub on 127.0.0.1 whose every
 * completion is MB megabytes of text, under /usr/bin/time, once with the default cap and once
 * with a cap above the reply (the old behaviour: the whole body read), and prints peak RSS, the
 * run store's size and the bytes the stub got to send.
 * `node dist/tests/openai/huge-reply-rss.js [MB=300]`
 */
import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeTempDir } from "../helpers/data-fixtures.js";
import { MODELS, type Reply, scriptedServer, servedAuditArgs } from "./scripted-server.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const MB = Number(process.argv[2] ?? 300);

async function measure(cap: number | null): Promise<Record<string, unknown>> {
  const sent = { bytes: 0 };
  const tokenize: Reply = { status: 200, body: { count: 50, max_model_len: 2048 } };
  const srv = await scriptedServer((r) =>
    r.path.endsWith("/models")
      ? MODELS
      : r.path.endsWith("/tokenize")
        ? tokenize
        : { hugeText: MB * 1024 * 1024, sent },
  );
  const tmp = await makeTempDir();
  const out = join(tmp.dir, "run");
  const args = [
    "-v",
    process.execPath,
    MAIN,
    ...servedAuditArgs(
      srv.url,
      out,
      { limit: 1, n: 0 },
      cap === null ? [] : ["--max-completion-bytes", String(cap)],
    ),
  ];
  const t0 = performance.now();
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile("/usr/bin/time", args, { maxBuffer: 1 << 26 }, (err, _o, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  await srv.close();
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1]);
  let storeMb: number | null = null;
  try {
    storeMb = statSync(join(out, "run.sqlite")).size / 2 ** 20;
  } catch {}
  await tmp.cleanup();
  return {
    cap: cap ?? "default (1 MiB)",
    exit: code,
    peak_rss_mib: Math.round(rssKb / 1024),
    store_mib: storeMb === null ? null : Number(storeMb.toFixed(1)),
    stub_sent_mib: Number((sent.bytes / 2 ** 20).toFixed(1)),
    seconds: Number(seconds.toFixed(1)),
  };
}

console.log(JSON.stringify({ reply_mib: MB, runs: [await measure(null), await measure(2 ** 31)] }, null, 1));
