/**
 * Where ONNX Runtime is to look for a model's external data. It reads external data only from
 * inside the folder it is given (the model file's, or `model_external_initializers_file_folder_path`
 * for a model loaded from bytes) after resolving links: a data file that links elsewhere, as in a
 * Hugging Face hub cache snapshot (`snapshots/<rev>/model.onnx_data -> ../../blobs/<hash>`), is
 * refused ("External data path escapes model directory"). Such data is made reachable under the
 * name the graph gives it, inside a private folder, by hard links (no copy of the weights), which
 * are removed once the session is created: ONNX Runtime has read or mapped the data by then.
 */
import { existsSync, linkSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative } from "node:path";
import { InputError } from "../util/errors.js";

/** A private folder holding the model's external data files under their graph names. */
export interface DataFolder {
  folder: string;
  /** Removes the folder (its links only; the data stays where it was). */
  remove(): void;
}

function inside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

/** The data files, among `locations`, whose real path lies outside the model's folder. */
export function escapingData(modelPath: string, locations: readonly string[]): string[] {
  const dir = dirname(modelPath);
  const realDir = realpathSync(dir);
  return locations.filter((loc) => {
    const path = join(dir, loc);
    return existsSync(path) && !inside(realpathSync(path), realDir);
  });
}

/**
 * A folder ONNX Runtime accepts for the data of `modelPath` when some of it links outside the
 * model's folder (undefined when none does). Hard links must stay on one file system, so they are
 * tried in the OS temporary folder, then in a hidden temporary folder beside the data itself
 * (`places`, for tests). Throws a one-line InputError saying what to do when neither works.
 */
export function linkedDataFolder(
  modelPath: string,
  locations: readonly string[],
  places?: readonly string[],
): DataFolder | undefined {
  const escaping = escapingData(modelPath, locations);
  if (escaping.length === 0) return undefined;
  const dir = dirname(modelPath);
  const target = (loc: string) => realpathSync(join(dir, loc));
  const candidates = places ?? [
    join(tmpdir(), "litmus-data-"),
    join(dirname(target(escaping[0]!)), ".litmus-data-"),
  ];
  const problems: string[] = [];
  for (const prefix of candidates) {
    let folder: string | undefined;
    try {
      folder = mkdtempSync(prefix);
      for (const loc of locations) {
        const source = join(dir, loc);
        if (!existsSync(source)) continue;
        const link = join(folder, loc);
        mkdirSync(dirname(link), { recursive: true });
        linkSync(realpathSync(source), link);
      }
      const made = folder;
      return { folder: made, remove: () => rmSync(made, { recursive: true, force: true }) };
    } catch (err) {
      if (folder) rmSync(folder, { recursive: true, force: true });
      problems.push(`${dirname(prefix)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const loc = escaping[0]!;
  throw new InputError(
    `${dir}: ONNX Runtime reads external data only from inside the model folder, and ${loc} links to ` +
      `${target(loc)}; no hard link to it could be made (${problems.join("; ") || "nowhere to try"}); ` +
      `copy the folder with its links resolved (\`cp -rL ${dir} NEW_DIR\`) and pass NEW_DIR`,
  );
}
