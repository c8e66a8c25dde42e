/**
 * First names for the rename probe (the lists themselves live in src/util/first-names.ts, shared
 * with the perturbation engine).
 */
import { FIRST_NAMES, type NameGender } from "../util/first-names.js";

export { FIRST_NAMES, type NameGender, WORD_NAMES } from "../util/first-names.js";

const BY_GENDER = new Map<NameGender, readonly string[]>(
  (["female", "male", "neutral"] as const).map((gender) => [
    gender,
    [...FIRST_NAMES].filter(([, g]) => g === gender).map(([name]) => name),
  ]),
);

/** Names of one gender, in a fixed order, for seeded choices of a replacement. */
export function namesOfGender(gender: NameGender): readonly string[] {
  return BY_GENDER.get(gender) ?? [];
}
