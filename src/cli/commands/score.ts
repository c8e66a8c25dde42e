import type { OnnxBackend } from "../../runner/index.js";
import { unescapeFlagText } from "../escapes.js";
import { modelOptions, openBackend, progressPrinter } from "./generate.js";
import type { CliCommand } from "./types.js";

export const scoreCommand: CliCommand = {
  command: "score",
  describe: "Per-token log-probabilities of a text (after an optional prefix) under a local ONNX model",
  builder: (y) =>
    modelOptions(y)
      .option("text", {
        type: "string",
        demandOption: true,
        describe: "Text to score (\\n, \\t, \\\\ are escapes)",
      })
      .option("prefix", {
        type: "string",
        default: "",
        describe: "Conditioning text (default: the bos token)",
      }),
  run: async (args) => {
    const backend: OnnxBackend = await openBackend(args);
    try {
      const onProgress = progressPrinter("score");
      const [r] = await backend.score(
        [
          {
            id: "text",
            prefix: unescapeFlagText(String(args["prefix"])),
            text: unescapeFlagText(String(args["text"])),
          },
        ],
        onProgress ? { onProgress } : {},
      );
      if (onProgress) process.stderr.write("\r\x1b[K");
      const tokens = r!.tokenIds.map((id) => backend.lm.tokenizer.decode([id], true));
      const total = r!.logprobs.reduce((a, b) => a + b, 0);
      if (args["json"]) {
        process.stdout.write(
          `${JSON.stringify({
            token_ids: r!.tokenIds,
            tokens,
            logprobs: r!.logprobs,
            mean_logprob: r!.meanLogprob,
            var_logprob: r!.varLogprob,
            total_logprob: total,
          })}\n`,
        );
      } else {
        for (let i = 0; i < tokens.length; i++) {
          process.stdout.write(
            `${r!.tokenIds[i]}\t${r!.logprobs[i]!.toFixed(4)}\t${JSON.stringify(tokens[i])}\n`,
          );
        }
        process.stdout.write(`total\t${total.toFixed(4)}\n`);
      }
      return 0;
    } finally {
      await backend.close();
    }
  },
};
