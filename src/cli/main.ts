#!/usr/bin/env node
import { runCli } from "./run.js";

// A reader that stops early (`litmus perturb ... | head`) closes the pipe: that is the reader's
// choice, not a failure. Output to a closed pipe is dropped quietly and the command carries on to
// its own exit code (an audit still finishes its run and still reports a failed gate with 1).
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
  });
}

process.exitCode = await runCli(process.argv.slice(2));
