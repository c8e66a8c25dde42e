/**
 * Units whose amounts may take a fractional value (2.5 hours, 1/2 pound, 1.25 miles), as data.
 * People and whole things are never in this table: a number followed by anything else is treated as
 * a count, which stays whole. Money is not here either: it is recognised by `$`/dollars on the
 * quantity itself (`Quantity.money`) and gains cents, not halves.
 */

/** What a divisible unit measures. */
export type MeasureKind = "time" | "weight" | "distance" | "volume";

export interface DivisibleUnit {
  kind: MeasureKind;
  singular: string;
  /** The plural, or the same word for abbreviations (`lb`, `km`). */
  plural: string;
}

/**
 * Days, weeks, months and years are left out on purpose: a calendar count is whole in these
 * problems ("2.5 weeks" of a schedule, "1/2 day" of a work week read as puzzles, not measures).
 * Seconds are left out as too fine to be written with halves in a grade-school problem.
 */
export const DIVISIBLE_UNITS: readonly DivisibleUnit[] = [
  { kind: "time", singular: "hour", plural: "hours" },
  { kind: "time", singular: "minute", plural: "minutes" },
  { kind: "weight", singular: "pound", plural: "pounds" },
  { kind: "weight", singular: "ounce", plural: "ounces" },
  { kind: "weight", singular: "kilogram", plural: "kilograms" },
  { kind: "weight", singular: "gram", plural: "grams" },
  { kind: "weight", singular: "ton", plural: "tons" },
  { kind: "weight", singular: "lb", plural: "lb" },
  { kind: "weight", singular: "kg", plural: "kg" },
  { kind: "distance", singular: "mile", plural: "miles" },
  { kind: "distance", singular: "kilometer", plural: "kilometers" },
  { kind: "distance", singular: "kilometre", plural: "kilometres" },
  { kind: "distance", singular: "meter", plural: "meters" },
  { kind: "distance", singular: "metre", plural: "metres" },
  { kind: "distance", singular: "foot", plural: "feet" },
  { kind: "distance", singular: "yard", plural: "yards" },
  { kind: "distance", singular: "inch", plural: "inches" },
  { kind: "distance", singular: "km", plural: "km" },
  { kind: "volume", singular: "liter", plural: "liters" },
  { kind: "volume", singular: "litre", plural: "litres" },
  { kind: "volume", singular: "gallon", plural: "gallons" },
  { kind: "volume", singular: "quart", plural: "quarts" },
  { kind: "volume", singular: "pint", plural: "pints" },
];
// Cups are left out: "3 cups" is as often three mugs as a volume.

const BY_WORD = new Map<string, { unit: DivisibleUnit; plural: boolean }>();
for (const unit of DIVISIBLE_UNITS) {
  BY_WORD.set(unit.plural, { unit, plural: true });
  if (!BY_WORD.has(unit.singular)) BY_WORD.set(unit.singular, { unit, plural: false });
}

/** The divisible unit written right after a number (" hours", " pound of"), with its span. */
export interface UnitAfter {
  unit: DivisibleUnit;
  /** The word as written was the plural. */
  plural: boolean;
  /** Offsets of the word within the text it was read from. */
  start: number;
  end: number;
}

/**
 * The divisible unit that follows a number ending at `end` in `text`, separated by spaces only (a
 * hyphenated "3-hour movie" is an adjective, and "3 more hours" speaks of something else); null when
 * the next word is no such unit.
 */
export function unitAfter(text: string, end: number): UnitAfter | null {
  const m = /^( +)([A-Za-z]+)\b/.exec(text.slice(end, end + 20));
  if (!m) return null;
  const word = (m[2] as string).toLowerCase();
  const found = BY_WORD.get(word);
  if (!found) return null;
  const start = end + (m[1] as string).length;
  return { ...found, start, end: start + word.length };
}

/** Whether the words after a number (`following`) name a divisible unit. */
export function measuredBy(following: string): boolean {
  return unitAfter(following, 0) !== null;
}

/**
 * Whether an asking sentence asks for a divisible measure ("How many hours ...", "How far ...",
 * "How long ...", "How many pounds ..."), so its answer may be 7.5.
 */
export function asksForMeasure(asking: string): boolean {
  if (/\bhow far\b/i.test(asking)) return true;
  const noun = /\bhow many ([a-z]+)/i.exec(asking)?.[1];
  if (noun !== undefined) return BY_WORD.has(noun.toLowerCase());
  // "How long ..." may ask for days or weeks: only when the sentence names the divisible unit.
  return (
    /\bhow (?:long|heavy|much\b[^?]*\bweigh)/i.test(asking) &&
    [...asking.toLowerCase().matchAll(/[a-z]+/g)].some((w) => BY_WORD.has(w[0]))
  );
}
