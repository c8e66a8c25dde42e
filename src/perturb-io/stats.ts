import type { PerturbStats } from "../probes/run.js";

/** The `perturb --stats` table: per-probe coverage, then every reason a problem got no variant. */
export function formatStats(stats: PerturbStats): string {
  const lines: string[] = [];
  const pct = (n: number): string =>
    stats.problems === 0 ? "-" : `${((100 * n) / stats.problems).toFixed(1)}%`;
  lines.push(`problems      ${stats.problems}`);
  lines.push(`identity ok   ${stats.identity_ok} (${pct(stats.identity_ok)})`);
  lines.push("");
  const rows: string[][] = [["probe", "problems with variant", "variants", "dropped by guard"]];
  for (const [name, p] of Object.entries(stats.probes)) {
    rows.push([
      name,
      `${p.problems_with_variant} (${pct(p.problems_with_variant)})`,
      String(p.variants),
      String(p.guarded),
    ]);
  }
  lines.push(...table(rows));
  lines.push("");
  lines.push("not perturbable (identity check failed), by reason:");
  lines.push(...counts(stats.reasons));
  for (const [name, p] of Object.entries(stats.probes)) {
    lines.push("");
    lines.push(`${name}: problems without a variant, by reason:`);
    lines.push(...counts(p.reasons));
    if (p.instances) {
      const k = p.instances;
      lines.push(
        `${name}: instances (--instances ${k.requested}): ${k.full} problems with all ${k.requested}, ${k.short} with fewer; ${k.made} in all`,
      );
    }
    if (Object.keys(p.refused_candidates ?? {}).length > 0) {
      lines.push(`${name}: candidate edits refused (plausibility guards and bindings), by reason:`);
      lines.push(...counts(p.refused_candidates));
    }
  }
  return `${lines.join("\n")}\n`;
}

function counts(byReason: Record<string, number>): string[] {
  const entries = Object.entries(byReason).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  if (entries.length === 0) return ["  (none)"];
  return table(entries.map(([reason, n]) => [reason, String(n)])).map((line) => `  ${line}`);
}

/** Left-aligned columns separated by two spaces. */
function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd(),
  );
}
