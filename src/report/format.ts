/** Number formatting and HTML escaping shared by the HTML, Markdown and chart code. */

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * JSON that is safe inside a `<script>` element: `<`, `>`, `&`, U+2028 and U+2029 are written as
 * `\uXXXX` escapes (valid JSON, and no `</script>`, `<!--` or line terminator can appear).
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** 0.3412 -> "34.1" (percent, one decimal); null -> "–". */
export function pct(v: number | null | undefined, digits = 1): string {
  return typeof v === "number" && Number.isFinite(v) ? (v * 100).toFixed(digits) : "–";
}

/** "34.1 [29.0, 39.3]". */
export function pctCi(
  v: number | null | undefined,
  ci: [number, number] | null | undefined,
  digits = 1,
): string {
  if (typeof v !== "number") return "–";
  return ci ? `${pct(v, digits)} [${pct(ci[0], digits)}, ${pct(ci[1], digits)}]` : pct(v, digits);
}

/** A p-value: "< 0.001", "0.042", "1". */
export function pValue(p: number | null | undefined): string {
  if (typeof p !== "number" || !Number.isFinite(p)) return "–";
  if (p < 0.001) return "< 0.001";
  if (p >= 0.995) return "1";
  return p < 0.01 ? p.toFixed(3) : p.toFixed(2);
}

/** A detector score: three significant digits. */
export function score(v: number | null | undefined): string {
  return typeof v === "number" && Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : "–";
}

/** 75.5 -> "1 min 16 s". */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "–";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-z * z);
  return x >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}
