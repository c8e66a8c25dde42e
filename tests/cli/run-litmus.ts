import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI as a child process, the way a user does, and collects its output and exit code;
 * `env` adds variables to this process's environment.
 */
export function runLitmus(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Runs the built CLI with its stdout piped into a reader that stops after the first `bytes` bytes
 * (as `| head -c` does), through a real shell pipe; gives litmus's own exit code and stderr.
 */
export function runLitmusIntoEarlyExit(args: string[], bytes: number): Promise<CliResult> {
  const quoted = [process.execPath, MAIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const script = `${quoted} 2>"$ERR" | head -c ${bytes} >/dev/null; echo "\${PIPESTATUS[0]}"`;
  return new Promise((resolve) => {
    const errFile = `${process.env["TMPDIR"] ?? "/tmp"}/litmus-epipe-${process.pid}-${Date.now()}.err`;
    execFile(
      "bash",
      ["-c", `${script}; cat "$ERR"; rm -f "$ERR"`],
      { env: { ...process.env, ERR: errFile } },
      (_err, stdout) => {
        const [status, ...rest] = stdout.split("\n");
        resolve({ code: Number(status), stdout: "", stderr: rest.join("\n") });
      },
    );
  });
}

/** Asserts-friendly view of an error run: exactly one `litmus: ...` line on stderr. */
export function oneLineError(result: CliResult): string | null {
  const lines = result.stderr.split("\n").filter((l) => l !== "");
  return lines.length === 1 && lines[0]?.startsWith("litmus: ") ? (lines[0] as string) : null;
}
