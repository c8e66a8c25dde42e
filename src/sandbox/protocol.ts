/** Messages between the sandbox (main thread) and its pyodide worker. */

export interface RunMessage {
  type: "run";
  id: number;
  code: string;
}

export type WorkerMessage =
  | { type: "ready"; loadMs: number }
  | { type: "load-error"; message: string }
  | {
      type: "result";
      id: number;
      ok: true;
      /** Python type name of what solution() returned, and its str(). */
      valueType: string;
      value: string;
      stdout: string;
    }
  | {
      type: "result";
      id: number;
      ok: false;
      reason: "exception" | "crash";
      message: string;
      stdout: string;
      fatal: boolean;
    };
