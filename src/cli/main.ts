#!/usr/bin/env node
import { runCli } from "./run.js";

// A reader that stops early (`litmus perturb ... | head`) closes the pipe: that is the reader's
// choice, not a failure, so litmus ends quietly with the exit code of success.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
}

process.exitCode = await runCli(process.argv.slice(2));
