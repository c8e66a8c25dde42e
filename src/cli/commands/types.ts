import type { Argv } from "yargs";

/** A CLI command: a thin registration whose `run` calls into the library and returns an exit code. */
export interface CliCommand {
  command: string;
  describe: string;
  builder: (yargs: Argv) => Argv;
  run: (args: Record<string, unknown>) => Promise<number>;
}
