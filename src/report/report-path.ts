/**
 * Paths a report shows (the model, a baseline run). A report travels (CI artifacts, the committed
 * example), so an absolute path would record the machine and checkout it was built in: an absolute
 * path is shown relative to the run folder; a relative one as it was given on the command line; a
 * label that is not a path (`openai:NAME`) as it is.
 */
import { isAbsolute, relative, resolve } from "node:path";

export function reportPath(path: string, runDir: string): string {
  if (!isAbsolute(path)) return path;
  return relative(resolve(runDir), path) || ".";
}
