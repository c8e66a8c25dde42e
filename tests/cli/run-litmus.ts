import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a child process, the way a user does, and collects its output and exit code. */
export function runLitmus(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Asserts-friendly view of an error run: exactly one `litmus: ...` line on stderr. */
export function oneLineError(result: CliResult): string | null {
  const lines = result.stderr.split("\n").filter((l) => l !== "");
  return lines.length === 1 && lines[0]?.startsWith("litmus: ") ? (lines[0] as string) : null;
}
