/**
 * The OpenAI-compatible backend against `litmus serve`: completions/s and tokens/s at concurrency
 * 1, 4 and 16, each as a ratio to the in-process ONNX backend on the same prompts in the same run;
 * and the client's own overhead per request, against a stub server that answers at once.
 * `npm run bench -- openai [MODEL_DIR] [prompts] [max new tokens]` (default: the canary model, 48
 * prompts, 32 tokens).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { resolveDataset } from "../src/data/index.js";
import { CANARY_MODEL_DIR } from "../src/data/litmus-mini.js";
import { OpenAIBackend } from "../src/openai/index.js";
import { renderPrompt, resolvePromptFormat } from "../src/prompts/index.js";
import { OnnxBackend } from "../src/runner/index.js";
import type { Backend, GenerateRequest, GenerationConfig } from "../src/runner/types.js";
import { startServer } from "../src/serve/index.js";

let CONFIG: Partial<GenerationConfig> = {
  temperature: 0.8,
  topP: 0.95,
  maxNewTokens: 32,
  seed: 1,
  stop: ["\nQuestion:"],
};

async function throughput(
  backend: Backend,
  requests: GenerateRequest[],
): Promise<{ completions: number; tokens: number; seconds: number }> {
  const t0 = performance.now();
  const out = await backend.generate(requests, CONFIG);
  const seconds = (performance.now() - t0) / 1000;
  return { completions: out.length, tokens: out.reduce((s, c) => s + c.tokenIds.length, 0), seconds };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const dir = args[0] ?? CANARY_MODEL_DIR;
  const count = Number(args[1] ?? 48);
  CONFIG = { ...CONFIG, maxNewTokens: Number(args[2] ?? 32) };
  const data = await resolveDataset("litmus-mini");
  const format = await resolvePromptFormat("qa");
  const requests: GenerateRequest[] = data.problems.slice(0, count).map((p) => ({
    id: p.id,
    prompt: renderPrompt(format, { question: p.question }).text,
    config: { n: 1 },
  }));

  const model = await OnnxBackend.open(dir, { maxBatchRows: 16 });
  await throughput(model, requests.slice(0, 4)); // warm-up
  const inProcess = await throughput(model, requests);
  process.stderr.write(
    `in-process: ${inProcess.completions} completions in ${inProcess.seconds.toFixed(2)} s\n`,
  );
  const server = await startServer(model, { modelName: "bench", port: 0, maxRows: 16 });
  const rows: Array<Record<string, unknown>> = [];
  for (const concurrency of [1, 4, 16]) {
    const client = await OpenAIBackend.open({ endpoint: server.url, model: "bench", concurrency });
    const r = await throughput(client, requests);
    const calls = server.queue.stats.calls;
    rows.push({
      concurrency,
      completions_per_s: Number((r.completions / r.seconds).toFixed(2)),
      tokens_per_s: Number((r.tokens / r.seconds).toFixed(1)),
      vs_in_process: Number((inProcess.seconds / r.seconds).toFixed(3)),
      model_calls_so_far: calls,
    });
    process.stderr.write(`concurrency ${concurrency}: ${r.seconds.toFixed(2)} s\n`);
  }
  await server.close();
  await model.close();

  // The client alone: a stub that answers every request at once with a fixed completion.
  const body = JSON.stringify({
    id: "x",
    object: "text_completion",
    created: 0,
    model: "stub",
    choices: [
      {
        index: 0,
        text: " 42",
        logprobs: { tokens: [" 42"], token_logprobs: [-0.1], top_logprobs: null, text_offset: [0] },
        finish_reason: "stop",
      },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 },
  });
  const stub = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const text = req.url?.endsWith("/models")
        ? JSON.stringify({
            object: "list",
            data: [{ id: "stub", object: "model", created: 0, owned_by: "x" }],
          })
        : body;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(text);
    });
  });
  await new Promise<void>((r) => stub.listen(0, "127.0.0.1", r));
  const stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}/v1`;
  const overhead: Record<string, number> = {};
  for (const concurrency of [1, 16]) {
    const client = await OpenAIBackend.open({ endpoint: stubUrl, model: "stub", concurrency });
    const many = Array.from({ length: 2000 }, (_, i) => ({
      id: `r${i}`,
      prompt: "Question: 1 + 1?\nAnswer:",
    }));
    await client.generate(many.slice(0, 200), { temperature: 0 });
    const t0 = performance.now();
    await client.generate(many, { temperature: 0 });
    overhead[`ms_per_request_concurrency_${concurrency}`] = Number(
      ((performance.now() - t0) / many.length).toFixed(3),
    );
  }
  stub.closeAllConnections();
  stub.close();
  return {
    model: dir,
    prompts: requests.length,
    max_new_tokens: CONFIG.maxNewTokens,
    in_process: {
      completions_per_s: Number((inProcess.completions / inProcess.seconds).toFixed(2)),
      tokens_per_s: Number((inProcess.tokens / inProcess.seconds).toFixed(1)),
    },
    openai_via_serve: rows,
    client_overhead: overhead,
  };
}
