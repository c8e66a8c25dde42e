/** Opens the backend an audit asked for: the in-process ONNX runner, or an OpenAI-compatible server. */
import { OpenAIBackend } from "../openai/index.js";
import { describeDecodePath, describePrefixReuse, OnnxBackend } from "../runner/index.js";
import { terminalSafe } from "../util/terminal-text.js";
import type { OpenedBackend } from "./run.js";
import type { AuditOptions } from "./types.js";

/**
 * `log` gets warning lines (retries of a busy server), each ending in a newline; with `verbose`,
 * also a line on how the loaded model decodes.
 */
export async function openAuditBackend(
  o: AuditOptions,
  log: (line: string) => void,
  options: { verbose?: boolean } = {},
): Promise<OpenedBackend> {
  if (o.openai) {
    const apiKey = o.openai.apiKeyEnv === undefined ? undefined : process.env[o.openai.apiKeyEnv];
    const backend = await OpenAIBackend.open({
      endpoint: o.openai.endpoint,
      model: o.openai.modelName,
      ...(apiKey ? { apiKey } : {}),
      concurrency: o.openai.concurrency,
      retry: { retries: o.openai.retries, timeoutMs: o.openai.timeoutS * 1000 },
      bosText: o.openai.bosText,
      ...(o.openai.api ? { api: o.openai.api } : {}),
      onNote: (message) => log(`litmus: note: ${message}\n`),
      ...(o.openai.maxCompletionBytes ? { maxCompletionBytes: o.openai.maxCompletionBytes } : {}),
      onRetry: (e) =>
        log(
          `\nlitmus: warning: retry ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s: ${terminalSafe(e.reason)}\n`,
        ),
    });
    return { backend, executionProvider: "openai-api" };
  }
  const backend = await OnnxBackend.open(o.model, {
    device: o.device,
    threads: o.threads,
    maxBatchRows: o.batchSize,
  });
  if (options.verbose)
    log(
      `litmus: loaded ${backend.lm.dir} on ${backend.lm.device}: ${describeDecodePath(backend.decodePath)}\n`,
    );
  return {
    backend,
    executionProvider: backend.lm.device,
    decodePath: backend.decodePath,
    ...(backend.warning ? { warning: backend.warning } : {}),
    ...(options.verbose ? { prefillNote: () => describePrefixReuse(backend.prefixes.stats) } : {}),
  };
}
