/** Opens the backend an audit asked for: the in-process ONNX runner, or an OpenAI-compatible server. */
import { OpenAIBackend } from "../openai/index.js";
import { OnnxBackend } from "../runner/index.js";
import type { OpenedBackend } from "./run.js";
import type { AuditOptions } from "./types.js";

/** `log` gets warning lines (retries of a busy server), each ending in a newline. */
export async function openAuditBackend(o: AuditOptions, log: (line: string) => void): Promise<OpenedBackend> {
  if (o.openai) {
    const apiKey = o.openai.apiKeyEnv === undefined ? undefined : process.env[o.openai.apiKeyEnv];
    const backend = await OpenAIBackend.open({
      endpoint: o.openai.endpoint,
      model: o.openai.modelName,
      ...(apiKey ? { apiKey } : {}),
      concurrency: o.openai.concurrency,
      retry: { retries: o.openai.retries, timeoutMs: o.openai.timeoutS * 1000 },
      bosText: o.openai.bosText,
      onRetry: (e) =>
        log(`\nlitmus: warning: retry ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s: ${e.reason}\n`),
    });
    return { backend, executionProvider: "openai-api" };
  }
  const backend = await OnnxBackend.open(o.model, {
    device: o.device,
    threads: o.threads,
    maxBatchRows: o.batchSize,
  });
  return {
    backend,
    executionProvider: backend.lm.device,
    ...(backend.warning ? { warning: backend.warning } : {}),
  };
}
