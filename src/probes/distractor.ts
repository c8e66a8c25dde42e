import type { AnalyzedProblem } from "../perturb/index.js";
import { scanQuantities } from "../perturb/quantities.js";
import type { Edit } from "../types/index.js";
import type { Rng } from "../util/rng.js";
import { canonicalAnswer } from "./answer.js";
import { DISTRACTOR_NOUNS, DISTRACTOR_TEMPLATES, type DistractorTemplate } from "./distractor-templates.js";
import { applyEdits } from "./edits.js";
import { FIRST_NAMES, WORD_NAMES } from "./names.js";
import { splitSentences } from "./sentences.js";
import type { ProbeFactory, ProbeOutcome } from "./types.js";

/** Why a template was refused for a problem; counted by `perturb --stats` (`refused_candidates`). */
export type DistractorGuard =
  /** The problem speaks of the template's topic, person or time (`avoid`). */
  | "distractor_topic_in_problem"
  /** The question asks about what the template's number counts. */
  | "distractor_unit_asked"
  /** Every number of the template's range is a number of the problem or its solution. */
  | "distractor_number_in_problem";

/**
 * Units a question asks for without naming them: "how long" is a time, "how old" an age in years.
 * A distractor counting one of them could read as part of the answer ("how much time did he
 * spend" never meets "for 10 years").
 */
const IMPLIED_UNITS: ReadonlyArray<[asks: RegExp, units: readonly string[]]> = [
  [/\bhow long\b|\btime\b/i, ["second", "minute", "hour", "day", "week", "month", "year", "time"]],
  [/\bhow old\b|\bages?\b/i, ["year"]],
  [/\bhow far\b|\bdistance\b/i, ["block", "mile", "kilometer", "meter", "feet", "foot", "yard"]],
  [/\bhow (?:many|much) times\b|\bhow often\b/i, ["time"]],
];

const NUMBER_WORDS =
  "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred";
/**
 * A count and the word after it: "16 eggs", "three baskets"; not a measure of something else
 * ("3 bags of flour": the bags are not what the problem counts).
 */
const COUNTED_WORD = new RegExp(`(?:\\b\\d+|\\b(?:${NUMBER_WORDS}))\\s+([a-z]+)\\b(?!\\s+of\\b)`, "g");

/** After a title the word is a surname ("Mr. James"), not a first name. */
const TITLE_BEFORE = /\b(?:Mr|Mrs|Ms|Mx|Dr|Prof|St|Saint|Miss|Sir|Madam)\.?\s+$/;

/** A word reduced to a stem both its singular and plural share ("boxes", "berries", "cats"). */
export function stem(word: string): string {
  const w = word.toLowerCase();
  if (/ies$/.test(w)) return `${w.slice(0, -3)}y`;
  if (/(?:xes|ches|shes|sses|zes)$/.test(w)) return w.slice(0, -2);
  if (/[^s]s$/.test(w)) return w.slice(0, -1);
  return w;
}

/** The asking sentence: the last with a question mark, else the last ("Find the total cost."). */
function askingSentence(question: string): { index: number; start: number; end: number } | null {
  const sentences = splitSentences(question);
  const asking = sentences.findLastIndex((s) => question.slice(s.start, s.end).includes("?"));
  const index = asking >= 0 ? asking : sentences.length - 1;
  const s = sentences[index];
  return s ? { index, start: s.start, end: s.end } : null;
}

/**
 * Capitalised words that start sentences or name days, months and the like, never a person; with
 * the known first names these are the words a fallback name must not be.
 */
const NOT_A_NAME = new Set(
  (
    "A An The If In On At Of For To From By With After Before When While During Each Every All Some Most " +
    "There Then This That These Those It Its He She His Her They Their We Our You Your I My One Two Three " +
    "Four Five Six Seven Eight Nine Ten Half How What Which Who Why Where Out According Since Because But " +
    "And Or So Also Both Only Last Next First Second Third Today Yesterday Tomorrow Monday Tuesday Wednesday " +
    "Thursday Friday Saturday Sunday Prince Princess King Queen Lord Lady Instagram Facebook YouTube Twitter TikTok January February March April May June July August September October " +
    "November December Christmas Halloween Easter Thanksgiving Grade Mr Mrs Ms Dr Miss Sir Mom Dad Grandma Grandpa"
  ).split(" "),
);

/** What follows a person's name: a possessive, "and" another name, or a verb people do. */
const PERSON_FOLLOWS = new RegExp(
  `^(?:['’]s?\\b|\\s+and\\s+\\p{Lu}|\\s+(?:${(
    "has had is was wants wanted needs needed buys bought sells sold makes made gets got goes went takes took " +
      "gives gave pays paid spends spent earns earned eats ate drinks drank reads writes wrote runs ran walks " +
      "walked drives drove rides rode works worked plays played collects collected decides decided plans planned " +
      "starts started began finds found owns owned uses used saves saved loses lost wins won can will would " +
      "could feeds fed bakes baked picks picked counts counted brings brought keeps kept likes liked loves loved"
  ).replaceAll(" ", "|")})\\b)`,
  "u",
);

/**
 * People the question names, in order of appearance: first names of the known list (not after a
 * title), else capitalised words the text treats as a person (followed by a verb or a possessive,
 * not after a place preposition, in a question that speaks of someone as he, she or they). GSM8K
 * names many people ("Wendi", "Toula") no list holds; a city is not one of them ("Toulouse has
 * twice as many sheep": no pronoun refers to it).
 */
function namesIn(question: string, solution: string): string[] {
  const known: string[] = [];
  const other: string[] = [];
  const pronoun = /\b(?:he|she|him|her|his|hers|they|them|their)\b/i.test(question);
  for (const m of question.matchAll(/(?<![\p{L}\p{N}_'’-])\p{Lu}\p{Ll}+(?![\p{L}\p{N}_-])/gu)) {
    const name = m[0];
    const at = m.index ?? 0;
    const before = question.slice(Math.max(0, at - 12), at);
    if (TITLE_BEFORE.test(before)) continue;
    if (FIRST_NAMES.has(name)) {
      if (!known.includes(name)) known.push(name);
    } else if (
      pronoun &&
      !NOT_A_NAME.has(name) &&
      !WORD_NAMES.has(name) &&
      !/\b(?:in|at|to|from|of|near|visit|visits|visited)\s+$/i.test(before) &&
      !/\p{Lu}\p{Ll}*\.?\s+$/u.test(before) &&
      !/^\s+\p{Lu}/u.test(question.slice(at + name.length)) &&
      PERSON_FOLLOWS.test(question.slice(at + name.length, at + name.length + 16)) &&
      // A protagonist is named again (in the question or its solution); a one-off word is likelier a
      // brand, a place or a sentence's first word.
      (`${question}\n${solution}`.match(new RegExp(`\\b${name}\\b`, "g")) ?? []).length >= 2 &&
      !other.includes(name)
    )
      other.push(name);
  }
  return known.length > 0 ? known : other;
}

/** Plural nouns the problem's statements count ("16 eggs"), never those of the asking sentence. */
function countedNouns(statements: string): string[] {
  const nouns: string[] = [];
  for (const m of statements.matchAll(COUNTED_WORD)) {
    const word = m[1] as string;
    if (!DISTRACTOR_NOUNS.has(word)) continue;
    if (!nouns.includes(word)) nouns.push(word);
  }
  return nouns;
}

/** Every number the question or the solution states or computes, as integers where they are whole. */
function numbersOf(question: string, solution: string): Set<number> {
  const numbers = new Set<number>();
  for (const q of [...scanQuantities(question), ...scanQuantities(solution)]) numbers.add(q.value.toNumber());
  // Annotations (`<<3*4=12>>`) and plain arithmetic are numbers the solution reads too.
  for (const m of `${question}\n${solution}`.matchAll(/\d+(?:[.,]\d+)*/g))
    numbers.add(Number(m[0].replace(/,/g, "")));
  return numbers;
}

/** The units a question sentence asks about: its own words' stems, plus the units it implies. */
function askedUnits(asking: string): Set<string> {
  const units = new Set((asking.match(/\p{L}+/gu) ?? []).map(stem));
  for (const [asks, implied] of IMPLIED_UNITS) if (asks.test(asking)) for (const u of implied) units.add(u);
  return units;
}

function mentions(text: string, wordStart: string): boolean {
  return new RegExp(`\\b${wordStart.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "i").test(text);
}

function possessive(name: string, text: string): string {
  // A problem that writes "James'" gets the same; otherwise "'s", as "James's" is also standard.
  return name.endsWith("s") && new RegExp(`\\b${name}['’](?!s)`).test(text) ? `${name}'` : `${name}'s`;
}

/** One filled sentence, or the guard that refused it. */
type Filled = { sentence: string; template: string } | { refused: DistractorGuard };

interface ProblemFacts {
  text: string;
  names: string[];
  nouns: string[];
  numbers: Set<number>;
  asked: Set<string>;
}

/** Fills one template for the problem, or names the guard that refuses it. Null: a slot it cannot fill. */
function fill(template: DistractorTemplate, facts: ProblemFacts, rng: Rng): Filled | null {
  const needsName = template.text.includes("{name");
  const needsNoun = template.text.includes("{noun}");
  if ((needsName && facts.names.length === 0) || (needsNoun && facts.nouns.length === 0)) return null;
  if (template.avoid.some((w) => mentions(facts.text, w))) return { refused: "distractor_topic_in_problem" };
  const nouns = needsNoun ? facts.nouns.filter((noun) => !facts.asked.has(stem(noun))) : [""];
  if (nouns.length === 0 || (!needsNoun && facts.asked.has(stem(template.unit))))
    return { refused: "distractor_unit_asked" };
  const [lo, hi] = template.range;
  const free: number[] = [];
  for (let n = lo; n <= hi; n++) if (!facts.numbers.has(n)) free.push(n);
  if (free.length === 0) return { refused: "distractor_number_in_problem" };
  const name = needsName ? rng.pick(facts.names) : "";
  const noun = rng.pick(nouns);
  const n = rng.pick(free);
  const sentence = template.text
    .replaceAll("{name's}", possessive(name, facts.text))
    .replaceAll("{name}", name)
    .replaceAll("{noun}", noun)
    .replaceAll("{n}", String(n));
  return { sentence, template: template.id };
}

function apply(analyzed: AnalyzedProblem, rng: Rng): ProbeOutcome {
  const { question, answer: solution, finalAnswer } = analyzed.problem;
  const expected = canonicalAnswer(finalAnswer);
  if (expected === null) return { variants: [], reason: "unparseable_answer" };
  const asking = askingSentence(question);
  // The sentence goes between the statements and the question: a question of one sentence has no
  // such place, and a sentence before everything would speak of a person not yet introduced.
  if (!asking || asking.index < 1) return { variants: [], reason: "no_statement_before_question" };
  const statements = question.slice(0, asking.start);
  const facts: ProblemFacts = {
    text: `${question}\n${solution}`,
    names: namesIn(question, solution),
    nouns: countedNouns(statements),
    numbers: numbersOf(question, solution),
    asked: askedUnits(question.slice(asking.start, asking.end)),
  };
  if (facts.names.length === 0 && facts.nouns.length === 0)
    return { variants: [], reason: "no_name_or_noun" };
  const refused: Record<string, number> = {};
  const fitting: Array<{ sentence: string; template: string }> = [];
  for (const template of DISTRACTOR_TEMPLATES) {
    const filled = fill(template, facts, rng);
    if (filled === null) continue;
    if ("refused" in filled) refused[filled.refused] = (refused[filled.refused] ?? 0) + 1;
    else fitting.push(filled);
  }
  if (fitting.length === 0) return { variants: [], reason: "no_template_fits", refused };
  const chosen = rng.pick(fitting);
  const edit: Edit = { start: asking.start, end: asking.start, before: "", after: `${chosen.sentence} ` };
  return {
    variants: [
      {
        kind: "irrelevant-sentence",
        question: applyEdits(question, [edit]),
        edits: [edit],
        expected,
        solution,
      },
    ],
    refused,
  };
}

/**
 * One irrelevant sentence about the problem's own person or things, placed before the question
 * (GSM-IC, GSM-NoOp). The solution and the answer are the original's.
 */
export const distractor: ProbeFactory = () => ({
  name: "distractor",
  changesAnswer: false,
  params: { kind: "irrelevant-sentence", templates: DISTRACTOR_TEMPLATES.map((t) => t.id) },
  apply,
});
