import yargs, { type Argv } from "yargs";
import { InputError } from "../util/errors.js";
import { terminalSafe } from "../util/terminal-text.js";
import { LITMUS_VERSION } from "../util/version.js";
import { closestName } from "./closest-name.js";
import { commands } from "./commands/index.js";
import { declaredFlags } from "./commands/shared-options.js";

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, gateFailed: 1, usage: 2, runFailed: 3 } as const;

/**
 * Parses argv and runs one command. Commands set an exit code rather than calling process.exit, so
 * the CLI is testable in-process and buffered output is always flushed.
 */
export async function runCli(argv: string[]): Promise<number> {
  const verbose = argv.includes("--verbose");
  let exitCode: number = EXIT.ok;
  let parser: Argv = yargs(argv)
    .scriptName("litmus")
    .version(LITMUS_VERSION)
    .option("verbose", {
      type: "boolean",
      describe: "Say how the model decodes when it loads; print stack traces for errors",
      global: true,
    })
    .strict()
    .demandCommand(1, "Name a command (see --help).")
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new InputError(msg);
    });
  for (const command of commands) {
    parser = parser.command({
      command: command.command,
      describe: command.describe,
      builder: command.builder,
      handler: async (args) => {
        exitCode = await command.run(args as Record<string, unknown>);
      },
    });
  }
  try {
    await parser.parseAsync();
    return exitCode;
  } catch (err) {
    return reportError(withFlagSuggestion(err, argv), verbose);
  }
}

/**
 * yargs names an unknown flag ("Unknown argument: tempreature"); litmus adds the closest flag of
 * the command, as it suggests commands.
 */
function withFlagSuggestion(err: unknown, argv: readonly string[]): unknown {
  const message = err instanceof Error ? err.message : "";
  const m = /^Unknown arguments?: (.+)$/.exec(message);
  const command = commands.find((c) => c.command.split(" ")[0] === argv[0]);
  if (!m || !command) return err;
  const known = [...declaredFlags(command.builder(yargs([]))).keys()];
  const hints = (m[1] as string).split(", ").map((name) => {
    const best = closestName(name, known);
    return best === null ? null : `--${name}: did you mean --${best}?`;
  });
  const hint = hints.filter((h) => h !== null).join("; ");
  return hint ? new InputError(`${message} (${hint})`) : err;
}

function reportError(err: unknown, verbose: boolean): number {
  // A command that waits on its writes (perturb, generate) learns that its reader closed the pipe
  // (`| head`): the reader had what it wanted; end quietly.
  if ((err as NodeJS.ErrnoException)?.code === "EPIPE") return EXIT.ok;
  const isInput = err instanceof InputError || (err as { name?: string })?.name === "YError";
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`litmus: ${isInput ? "" : "error: "}${oneLine(message)}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return isInput ? EXIT.usage : EXIT.runFailed;
}

/** Error messages quote servers, data sets and files: nothing in them may act on the terminal. */
function oneLine(text: string): string {
  return terminalSafe(text)
    .replace(/\s*\n\s*/g, " ")
    .replace(/ {2,}/g, " ")
    .trim();
}
