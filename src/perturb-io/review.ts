import type { Edit, Problem, Variant } from "../types/index.js";
import { createRng, deriveSeed } from "../util/rng.js";

/**
 * Picks `count` variants for a person to check, spread over the probes: each probe's variants are
 * shuffled (seeded), then taken in turn, one probe after another, so a probe with few variants is
 * still seen. The result keeps the run's order (problem by problem), so variants of one problem
 * sit together.
 */
export function selectForReview(variants: readonly Variant[], count: number, seed: number): Variant[] {
  const rng = createRng(deriveSeed(seed, "review"));
  const byProbe = new Map<string, Variant[]>();
  for (const v of variants) {
    const list = byProbe.get(v.probe) ?? [];
    list.push(v);
    byProbe.set(v.probe, list);
  }
  const queues = [...byProbe.values()].map((list) => rng.shuffle(list));
  const chosen = new Set<Variant>();
  while (chosen.size < count && queues.some((q) => q.length > 0)) {
    for (const queue of queues) {
      const next = queue.shift();
      if (next && chosen.size < count) chosen.add(next);
    }
  }
  return variants.filter((v) => chosen.has(v));
}

export interface ReviewContext {
  /** The data set's name, for the heading. */
  dataset: string;
  seed: number;
  /** How many variants the run made in all. */
  total: number;
  problems: ReadonlyMap<string, Problem>;
}

/** A Markdown sheet with, for each variant, both questions, the edits and the old and new answers. */
export function renderReviewSheet(chosen: readonly Variant[], context: ReviewContext): string {
  const perProbe = new Map<string, number>();
  for (const v of chosen) perProbe.set(v.probe, (perProbe.get(v.probe) ?? 0) + 1);
  const spread = [...perProbe].map(([probe, n]) => `${probe} ${n}`).join(", ") || "none";
  const out: string[] = [
    "# litmus perturb review sheet",
    "",
    `Data set \`${context.dataset}\`, seed ${context.seed}: ${chosen.length} of ${context.total} variants, ` +
      `chosen at random across probes (${spread}).`,
    "",
    "For each variant check that the variant question reads naturally, that the edits are its only " +
      "differences from the original, and that the expected answer is right for the variant question.",
  ];
  chosen.forEach((v, i) => {
    out.push("", ...renderEntry(v, i + 1, context.problems.get(v.problemId)));
  });
  return `${out.join("\n")}\n`;
}

function renderEntry(v: Variant, number: number, problem: Problem | undefined): string[] {
  const answer = v.answerChanged
    ? `${v.originalAnswer} → ${v.expected} (changed)`
    : `${v.expected} (unchanged)`;
  const lines = [
    `## ${number}. \`${v.id}\``,
    "",
    `Probe \`${v.probe}\`, kind \`${v.kind}\`, seed ${v.seed}. Expected answer: ${answer}.`,
    "",
    "**Original question**",
    "",
    ...fenced(problem?.question ?? "(original problem not found)"),
    "",
    "**Variant question**",
    "",
    ...fenced(v.question),
    "",
    "**Edits** (offsets into the original question)",
    "",
    ...v.edits.map(renderEdit),
  ];
  // A format variant keeps the question: what changes is the prompt's text around it.
  if (v.wrapper && v.wrapper.length > 0) {
    lines.push("", "**Prompt text around the question**", "");
    for (const w of v.wrapper)
      lines.push(`- ${w.side}: ${code(JSON.stringify(w.before))} → ${code(JSON.stringify(w.after))}`);
  }
  // Answer-changing variants live or die by their rewritten solution; a rename changes it too.
  if (v.answerChanged || (problem && v.solution !== problem.answer)) {
    lines.push("", "**Rewritten solution**", "", ...fenced(v.solution));
  }
  lines.push("", "- [ ] correct");
  return lines;
}

function renderEdit(edit: Edit): string {
  return `- ${edit.start}–${edit.end}: ${code(JSON.stringify(edit.before))} → ${code(JSON.stringify(edit.after))}`;
}

/** A code span that survives backticks inside the text. */
function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return longest > 0 ? `${ticks} ${text} ${ticks}` : `${ticks}${text}${ticks}`;
}

/** A fenced block showing the text exactly, line breaks included, with a fence the text cannot close. */
function fenced(text: string): string[] {
  const longest = Math.max(2, ...[...text.matchAll(/~+/g)].map((m) => m[0].length));
  const fence = "~".repeat(longest + 1);
  return [`${fence}text`, text, fence];
}
