import { FIRST_NAMES } from "../util/first-names.js";
import { Rational } from "./rational.js";

/**
 * Counts a question states without writing them as numbers: the people or things it lists ("her
 * mom and her sister" are 2, "Robert, Cindy and Aaron" 3) and the people it names. A solution may
 * write such a count as a digit, so each is a candidate source of an operand with its value, beside
 * any question number that equals it: when they disagree after an edit, the change is refused.
 */
export interface ImpliedCount {
  value: Rational;
  /** What the count is, for diagnostics ("list: mom, sister"). */
  why: string;
  /** The question number this count adds one to ("she and her 2 friends" is 2 + 1), if any. */
  plusOneOf?: { start: number; end: number };
}

/** People a question may list without a number. Plurals count as one item of a list. */
const PEOPLE =
  "mom|mum|mother|dad|father|sister|brother|sibling|wife|husband|son|daughter|aunt|uncle|cousin|" +
  "grandma|grandmother|grandpa|grandfather|grandson|granddaughter|niece|nephew|friend|neighbou?r|" +
  "boyfriend|girlfriend|partner|boss|coworker|co-worker|teacher|coach|roommate|classmate|baby|" +
  "parents|kids|children|friends|sisters|brothers|cousins";
const POSSESSIVE = String.raw`(?:(?:his|her|their|my|your|its|the)\s+)`;
const NAME = String.raw`[A-Z][a-z]{2,}`;
const ITEM = String.raw`(?:${POSSESSIVE}?(?:${PEOPLE})\b|${NAME}\b|(?:he|she|I|you|him|me)\b)`;
/** "A and B", "A, B(,) and C": a list of people or names. */
const PEOPLE_LIST = new RegExp(String.raw`\b${ITEM}(?:\s*,\s*${ITEM})*\s*,?\s+and\s+${ITEM}`, "g");
/** "she and her 2 friends", "Tom and his three sisters": one person and a group counted by a number. */
const PERSON_AND_GROUP = new RegExp(
  String.raw`\b(?:he|she|I|you|him|her|me|himself|herself|myself|yourself|${NAME})\s+and\s+${POSSESSIVE}?(\d+|[a-z]+)\s+(?:[a-z]+\s+)?(?:friends|sisters|brothers|siblings|cousins|kids|children|sons|daughters|classmates|coworkers|co-workers|colleagues|teammates|roommates|neighbou?rs|guests|members|people|others|employees|workers|players|students)\b`,
  "g",
);
/** Words that name a group of a known size. */
const GROUP_WORDS: Array<[RegExp, number]> = [
  [/\b(?:parents|grandparents|twins|couple|pair of (?:them|us))\b/i, 2],
  [/\btriplets\b/i, 3],
  [/\bquadruplets\b/i, 4],
];
/** "a cat, a dog and a parrot": a list of things, each with an article. */
const THING_LIST =
  /\b(?:an?|one)\s+[a-z]+(?:\s+[a-z]+)?(?:\s*,\s*(?:an?|one)\s+[a-z]+(?:\s+[a-z]+)?)*\s*,?\s+and\s+(?:an?|one)\s+[a-z]+/g;

const WORD_VALUES: Record<string, number> = {
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
};

const PEOPLE_WORD = new RegExp(String.raw`^${POSSESSIVE}?(?:${PEOPLE})$|^(?:he|she|I|you|him|me)$`, "i");

/** A first name the engine knows, a pronoun, or a relative or friend ("her mom"). */
function isPerson(item: string): boolean {
  return FIRST_NAMES.has(item) || PEOPLE_WORD.test(item) || /^(?:him|her|my|your)self$/i.test(item);
}

function itemsOf(list: string): string[] {
  return list
    .split(/\s*,\s*|\s+and\s+/)
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** Every count the question implies without writing it (values 2 to 20), deduplicated by value and origin. */
export function impliedCounts(question: string): ImpliedCount[] {
  const out: ImpliedCount[] = [];
  const add = (count: ImpliedCount): void => {
    const n = count.value;
    if (n.compare(Rational.of(2)) < 0 || n.compare(Rational.of(20)) > 0) return;
    if (out.some((c) => c.value.equals(n) && !c.plusOneOf && !count.plusOneOf)) return;
    out.push(count);
  };
  for (const m of question.matchAll(PEOPLE_LIST)) {
    // People or named things: "her mom and her sister", "Alaska and Texas", "Wednesdays and Fridays".
    const items = itemsOf(m[0]);
    add({ value: Rational.of(items.length), why: `list: ${items.join(", ")}` });
  }
  for (const m of question.matchAll(THING_LIST)) {
    add({ value: Rational.of(itemsOf(m[0]).length), why: `list of things: ${m[0]}` });
  }
  for (const m of question.matchAll(PERSON_AND_GROUP)) {
    const group = m[1] as string;
    if (!isPerson(m[0].split(/\s+and\s+/)[0] as string)) continue;
    const start = (m.index ?? 0) + m[0].indexOf(group, m[0].indexOf(" and "));
    if (/^\d+$/.test(group)) {
      add({
        value: Rational.of(Number(group) + 1),
        why: `one and a group of ${group}`,
        plusOneOf: { start, end: start + group.length },
      });
    } else if (WORD_VALUES[group] !== undefined) {
      add({
        value: Rational.of((WORD_VALUES[group] as number) + 1),
        why: `one and a group of ${group}`,
        plusOneOf: { start, end: start + group.length },
      });
    }
  }
  for (const [pattern, n] of GROUP_WORDS) {
    if (pattern.test(question)) add({ value: Rational.of(n), why: `group: ${pattern.source}` });
  }
  // The people a question names: a count of them may be what the solution divides by.
  const names = new Set<string>();
  for (const m of question.matchAll(/\b[A-Z][a-z]{2,}\b/g)) {
    if (FIRST_NAMES.has(m[0])) names.add(m[0]);
  }
  if (names.size >= 2) add({ value: Rational.of(names.size), why: `named: ${[...names].join(", ")}` });
  return out;
}
