/**
 * A command's options from a file (`litmus audit --config litmus.yaml`): YAML or JSON, one object
 * whose keys are the command's flag names (`top-p`, `fail-on`). Flags on the command line override
 * it. Every problem is one InputError line naming the file and the key.
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { InputError } from "../util/errors.js";
import { closestName } from "./closest-name.js";

/** The type each flag takes, as yargs declares it. */
export type FlagType = "string" | "number" | "boolean" | "array";

/** Reads and checks a configuration file against the command's flags. */
export function readConfigFile(path: string, flags: ReadonlyMap<string, FlagType>): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      `${path}: cannot read the configuration file (${code === "ENOENT" ? "no such file" : code})`,
    );
  }
  let value: unknown;
  try {
    // JSON is YAML; one parser reads both, and its errors carry a line.
    value = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const e = err as Error & { linePos?: Array<{ line: number }> };
    const line = e.linePos?.[0]?.line;
    const reason = firstLine(e.message).replace(/ at line \d+, column \d+.*$/, "");
    throw new InputError(`${path}${line ? `:${line}` : ""}: not valid YAML or JSON (${reason})`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new InputError(
      `${path}: must hold one mapping of flag names to values, got ${Array.isArray(value) ? "a list" : typeof value}`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    const type = flags.get(key);
    if (type === undefined || key === "config") throw new InputError(`${path}: ${unknownKey(key, flags)}`);
    out[key] = checkValue(path, key, type, raw);
  }
  return out;
}

function checkValue(path: string, key: string, type: FlagType, raw: unknown): unknown {
  const bad = (what: string): never => {
    throw new InputError(`${path}: "${key}" must be ${what}, got ${JSON.stringify(raw)}`);
  };
  switch (type) {
    case "number":
      return typeof raw === "number" && Number.isFinite(raw) ? raw : bad("a number");
    case "boolean":
      return typeof raw === "boolean" ? raw : bad("true or false");
    case "string":
      // `k: 5` and `seed-file: 2024` are read as numbers by YAML; the flag takes them as text.
      return typeof raw === "string" || typeof raw === "number" ? String(raw) : bad("a string");
    case "array": {
      const list = Array.isArray(raw) ? raw : [raw];
      return list.every((x) => typeof x === "string" || typeof x === "number")
        ? list.map(String)
        : bad("a list of strings");
    }
  }
}

function unknownKey(key: string, flags: ReadonlyMap<string, FlagType>): string {
  const best = closestName(
    key,
    [...flags.keys()].filter((name) => name !== "config"),
  );
  return `unknown key "${key}"${best === null ? "" : ` (did you mean "${best}"?)`}`;
}

/** The settings a run used, as a configuration file that reproduces it (`--config` reads it back). */
export function configFileText(settings: Record<string, unknown>, header: string): string {
  const body = stringifyYaml(settings, { lineWidth: 0 });
  return `${header
    .split("\n")
    .map((l) => `# ${l}`)
    .join("\n")}\n${body}`;
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}
