/**
 * Contamination detector scores (issue 5), when a summary carries them. The report reads
 * `summary.detectors`, tolerantly, as an object keyed by detector name (or an array of objects
 * with a `name`), each entry with any of:
 *
 * - `label`, `description`, `higher_is` (`"memorized"` or `"clean"`): how to present it;
 * - `probes`: per label (`original` or a probe) `{value | mean, ci?}`, as an object keyed by label
 *   or an array of `{probe, value | mean, ci?}`: shown in the per-probe table;
 * - `original` / `originals` and `variants` / `variant`: arrays of per-problem (or per-prompt)
 *   scores, or `per_problem: [{original: number, variants: number[] | variant: number}]`:
 *   shown as distributions (originals vs variants);
 * - any other finite numbers at the top level (`p_value`, `flagged_share`, `alpha`, ...): listed.
 *
 * Without `summary.detectors`, the report says "not measured in this run".
 */
import type { AuditSummary } from "../audit/summary.js";

export interface DetectorView {
  name: string;
  label: string;
  description: string | null;
  /** Figure per label for the per-probe table. */
  byLabel: Record<string, { value: number; ci: [number, number] | null }>;
  /** Scores of originals and of variants, for the distribution chart; null when not given. */
  distributions: { original: number[]; variants: number[] } | null;
  /** Other top-level figures, by name. */
  figures: Array<[string, number]>;
}

const KNOWN: Record<string, string> = {
  neighbourhood_gap: "Neighbourhood gap",
  neighborhood_gap: "Neighbourhood gap",
  neighbourhoodGap: "Neighbourhood gap",
  min_k: "Min-K% Prob",
  min_k_prob: "Min-K% Prob",
  minK: "Min-K% Prob",
  min_k_plus_plus: "Min-K%++",
  min_k_pp: "Min-K%++",
  minKpp: "Min-K%++",
  minKPlusPlus: "Min-K%++",
  cdd: "CDD peakedness",
  cdd_peakedness: "CDD peakedness",
  zlib: "zlib ratio",
  zlib_ratio: "zlib ratio",
  exchangeability: "Exchangeability test",
  permutation: "Exchangeability test",
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const numbers = (v: unknown): number[] | null =>
  Array.isArray(v) ? v.filter(finite) : finite(v) ? [v] : null;

function figure(v: unknown): { value: number; ci: [number, number] | null } | null {
  if (finite(v)) return { value: v, ci: null };
  if (!isObj(v)) return null;
  const value = finite(v["value"]) ? v["value"] : finite(v["mean"]) ? v["mean"] : null;
  if (value === null) return null;
  const c = v["ci"];
  return {
    value,
    ci: Array.isArray(c) && finite(c[0]) && finite(c[1]) ? [c[0], c[1]] : null,
  };
}

function one(name: string, d: Obj): DetectorView {
  const byLabel: DetectorView["byLabel"] = {};
  const probes = d["probes"] ?? d["by_probe"];
  if (Array.isArray(probes)) {
    for (const p of probes) {
      if (!isObj(p)) continue;
      const f = figure(p);
      const label = p["probe"] ?? p["label"];
      if (f && typeof label === "string") byLabel[label] = f;
    }
  } else if (isObj(probes)) {
    for (const [label, v] of Object.entries(probes)) {
      const f = figure(v);
      if (f) byLabel[label] = f;
    }
  }
  let original = numbers(d["original"] ?? d["originals"]);
  let variants = numbers(d["variants"] ?? d["variant"]);
  const dist = d["distributions"];
  if (isObj(dist)) {
    original = numbers(dist["original"] ?? dist["originals"]) ?? original;
    variants = numbers(dist["variants"] ?? dist["variant"]) ?? variants;
  }
  const per = d["per_problem"] ?? d["problems"];
  if (Array.isArray(per) && (original === null || variants === null)) {
    original = [];
    variants = [];
    for (const p of per) {
      if (!isObj(p)) continue;
      if (finite(p["original"])) original.push(p["original"]);
      variants.push(...(numbers(p["variants"] ?? p["variant"]) ?? []));
    }
  }
  const figures: Array<[string, number]> = [];
  for (const [k, v] of Object.entries(d)) if (finite(v)) figures.push([k, v]);
  return {
    name,
    label: typeof d["label"] === "string" ? d["label"] : (KNOWN[name] ?? name),
    description: typeof d["description"] === "string" ? d["description"] : null,
    byLabel,
    distributions:
      original !== null && variants !== null && original.length + variants.length > 0
        ? { original, variants }
        : null,
    figures,
  };
}

const nums = (xs: unknown[]): number[] => xs.filter(finite);

/** src/detectors' DetectorReport (snake_case in summary.json): likelihood, gap, cdd, exchangeability, problems. */
function fromDetectorReport(raw: Obj): DetectorView[] {
  const out: DetectorView[] = [];
  const problems = Array.isArray(raw["problems"]) ? raw["problems"].filter(isObj) : [];
  const likelihood = isObj(raw["likelihood"]) ? raw["likelihood"] : null;
  const gap = isObj(raw["gap"]) ? raw["gap"] : null;
  if (gap) {
    const figures: Array<[string, number]> = [];
    for (const [k, v] of Object.entries(gap))
      if (isObj(v)) {
        if (finite(v["mean"])) figures.push([`${k} mean`, v["mean"]]);
        const sign = v["sign_test"];
        if (isObj(sign) && finite(sign["p_value"])) figures.push([`${k} sign-test p`, sign["p_value"]]);
      }
    const byLabel: DetectorView["byLabel"] = {};
    const all = figure(gap["all"]);
    if (all) byLabel["original"] = all;
    out.push({
      name: "neighbourhood_gap",
      label: "Neighbourhood gap",
      description: "per-token log-likelihood of the original minus its neighbours",
      byLabel,
      distributions: {
        original: nums(problems.map((p) => p["gap_answer_preserving"] ?? p["gap"])),
        variants: nums(problems.map((p) => p["gap_answer_changing"])),
      },
      figures,
    });
  }
  for (const [key, name, label] of [
    ["min_k_plus_plus", "min_k_pp", "Min-K%++"],
    ["min_k", "min_k", "Min-K% Prob"],
    ["zlib_ratio", "zlib", "zlib ratio"],
  ] as const) {
    if (!likelihood) break;
    const byLabel: DetectorView["byLabel"] = {};
    for (const [l, v] of Object.entries(likelihood)) {
      const f = isObj(v) ? figure(v[key]) : null;
      if (f) byLabel[l] = f;
    }
    const original = nums(problems.map((p) => (isObj(p["original"]) ? p["original"][key] : null)));
    const variants = nums(
      problems.flatMap((p) =>
        Array.isArray(p["neighbours"]) ? p["neighbours"].filter(isObj).map((n) => n[key]) : [],
      ),
    );
    // Not computed (e.g. Min-K%++ over an HTTP API): listed under "not available", not here.
    if (Object.keys(byLabel).length === 0 && original.length + variants.length === 0) continue;
    out.push({
      name,
      label,
      description: null,
      byLabel,
      distributions: original.length + variants.length > 0 ? { original, variants } : null,
      figures: [],
    });
  }
  const cdd = isObj(raw["cdd"]) ? raw["cdd"] : null;
  if (cdd) {
    const byLabel: DetectorView["byLabel"] = {};
    const figures: Array<[string, number]> = [];
    if (isObj(cdd["by_label"]))
      for (const [l, v] of Object.entries(cdd["by_label"])) {
        if (!isObj(v)) continue;
        const f = figure(v["peakedness"]);
        if (f) byLabel[l] = f;
        const flagged = figure(v["flagged"]);
        if (flagged) figures.push([`${l} flagged share`, flagged.value]);
      }
    const omv = cdd["original_minus_variants"];
    if (isObj(omv) && isObj(omv["sign_test"]) && finite(omv["sign_test"]["p_value"]))
      figures.push(["original minus variants sign-test p", omv["sign_test"]["p_value"]]);
    const leftOut = cdd["truncated_left_out"];
    if (finite(leftOut) && leftOut > 0)
      figures.push(["completions left out (cut at --max-completion-bytes)", leftOut]);
    const original = nums(
      problems.map((p) => (isObj(p["cdd_original"]) ? p["cdd_original"]["peakedness"] : null)),
    );
    const variants = nums(problems.map((p) => p["cdd_variant_mean"]));
    out.push({
      name: "cdd",
      label: "CDD peakedness",
      description: null,
      byLabel,
      distributions: original.length + variants.length > 0 ? { original, variants } : null,
      figures,
    });
  }
  const ex = raw["exchangeability"];
  if (isObj(ex)) {
    const figures = Object.entries(ex).filter((e): e is [string, number] => finite(e[1]));
    out.push({
      name: "exchangeability",
      label: "Exchangeability test",
      description: "canonical order vs random permutations",
      byLabel: {},
      distributions: null,
      figures,
    });
  }
  return out;
}

/** The detectors a summary carries (empty when it has none). */
export function readDetectors(summary: AuditSummary): DetectorView[] {
  const raw = (summary as unknown as Obj)["detectors"];
  if (
    isObj(raw) &&
    ("likelihood" in raw || "settings" in raw || (isObj(raw["cdd"]) && "by_label" in raw["cdd"]))
  )
    return fromDetectorReport(raw);
  if (Array.isArray(raw)) {
    return raw
      .filter(isObj)
      .map((d, i) => one(typeof d["name"] === "string" ? d["name"] : `detector ${i + 1}`, d));
  }
  if (isObj(raw)) return Object.entries(raw).flatMap(([name, d]) => (isObj(d) ? [one(name, d)] : []));
  return [];
}

/** `summary.detectors.unavailable` as [label, reason] pairs (empty when all ran). */
export function readUnavailableDetectors(summary: AuditSummary): Array<[string, string]> {
  const raw = (summary as unknown as Obj)["detectors"];
  const un = isObj(raw) ? raw["unavailable"] : null;
  if (!isObj(un)) return [];
  return Object.entries(un)
    .filter((e): e is [string, string] => typeof e[1] === "string")
    .map(([name, why]) => [KNOWN[name] ?? name, why]);
}
