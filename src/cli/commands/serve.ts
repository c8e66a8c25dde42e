import { basename, resolve } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Argv } from "yargs";
import { loadChatTemplate, parseChatTemplateChoice } from "../../prompts/index.js";
import { LIMITS, type ServeLimits, startServer } from "../../serve/index.js";
import { InputError } from "../../util/errors.js";
import { EXIT } from "../run.js";
import { openBackend } from "./generate.js";
import { runnerOptions } from "./shared-options.js";
import type { CliCommand } from "./types.js";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** `litmus serve`: the ONNX runner over the OpenAI completions subset, until SIGINT/SIGTERM. */
export const serveCommand: CliCommand = {
  command: "serve",
  describe:
    "Serve a model directory over the OpenAI completions API (for --backend openai on other machines)",
  builder: (y: Argv) =>
    runnerOptions(y)
      .option("model", {
        type: "string",
        demandOption: true,
        describe: "Model directory (optimum ONNX export)",
      })
      .option("model-name", {
        type: "string",
        describe: "Name clients pass as model (default: the directory's name)",
      })
      .option("host", {
        type: "string",
        default: "127.0.0.1",
        describe: "Address to bind (loopback by default)",
      })
      .option("port", { type: "number", default: 8000, describe: "Port (0: any free port)" })
      .option("api-key-env", {
        type: "string",
        describe: "Environment variable holding a key clients must send",
      })
      .option("batch-wait-ms", {
        type: "number",
        default: 5,
        describe: "Wait this long for more requests before a model call that is not full",
      })
      .option("chat-template", {
        type: "string",
        default: "auto",
        describe:
          "For /v1/chat/completions: auto (the model's own chat template; without one, a plain System:/User:/Assistant: transcript), none (the transcript), or a Jinja file",
      })
      .option("quiet", { type: "boolean", default: false, describe: "No request log" })
      .options(
        Object.fromEntries(
          LIMITS.map((l) => [
            l.option,
            { type: "number" as const, default: l.default, describe: l.describe },
          ]),
        ),
      ),
  run: async (args) => {
    const port = Number(args["port"]);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new InputError(`--port must be 0-65535, got ${args["port"]}`);
    const batch = Number(args["batch-size"]);
    if (!Number.isInteger(batch) || batch < 1)
      throw new InputError(`--batch-size must be a positive integer, got ${args["batch-size"]}`);
    const wait = Number(args["batch-wait-ms"]);
    if (!Number.isFinite(wait) || wait < 0 || wait > 60_000)
      throw new InputError(`--batch-wait-ms must be 0-60000, got ${args["batch-wait-ms"]}`);
    const limits = {} as ServeLimits;
    for (const l of LIMITS) {
      const v = Number(args[l.option]);
      if (!Number.isInteger(v) || v < 1)
        throw new InputError(`--${l.option} must be a positive integer, got ${args[l.option]}`);
      limits[l.key] = v;
    }
    const host = String(args["host"]);
    let apiKey: string | undefined;
    if (args["api-key-env"] !== undefined) {
      const name = String(args["api-key-env"]);
      apiKey = process.env[name];
      if (!apiKey) throw new InputError(`--api-key-env ${name}: the variable is not set`);
    }
    const modelName = String(args["model-name"] ?? basename(resolve(String(args["model"]))));
    const chatTemplate = loadChatTemplate(
      String(args["model"]),
      parseChatTemplateChoice(String(args["chat-template"])),
    );
    const backend = await openBackend(args, { maxBatchRows: batch });
    let running: Awaited<ReturnType<typeof startServer>>;
    try {
      running = await startServer(backend, {
        modelName,
        host,
        port,
        maxRows: batch,
        batchWaitMs: wait,
        chatTemplate,
        ...limits,
        ...(apiKey ? { apiKey } : {}),
        ...(args["quiet"] ? {} : { log: (line: string) => void process.stderr.write(`${line}\n`) }),
      });
    } catch (err) {
      await backend.close();
      throw new InputError(`cannot listen on ${host}:${port}: ${(err as Error).message}`);
    }
    if (!LOOPBACK.has(host))
      process.stderr.write(
        `litmus: warning: serving on ${host}: anyone who can reach it can run the model${apiKey ? " with the key" : " (no --api-key-env)"}\n`,
      );
    process.stderr.write(
      `litmus: serving ${modelName} at ${running.url} (chat: ${chatTemplate ? `template of ${chatTemplate.source}` : "plain transcript, the model has no chat template"}; Ctrl-C to stop)\n`,
    );
    // For benchmarks/serve-stall.ts: the server's own event-loop delay, one line when it stops.
    const loop =
      process.env["LITMUS_SERVE_LOOP_STATS"] === "1" ? monitorEventLoopDelay({ resolution: 1 }) : null;
    loop?.enable();
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    process.stderr.write("litmus: stopping\n");
    if (loop) {
      loop.disable();
      const ms = (ns: number) => (ns / 1e6).toFixed(1);
      process.stderr.write(
        `litmus: event loop delay: max ${ms(loop.max)} ms, p99 ${ms(loop.percentile(99))} ms, mean ${ms(loop.mean)} ms\n`,
      );
    }
    await running.close();
    await backend.close();
    return EXIT.ok;
  },
};
