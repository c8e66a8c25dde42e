/**
 * Sentence boundaries of a problem's question, for probes that reformat text between sentences.
 * A missed boundary costs one line break; a false one splits "Mr. Smith" across lines, so every
 * doubtful case is read as no boundary.
 */

import { FIRST_NAMES } from "./names.js";

/** A sentence of a text: its span without the whitespace around it. */
export interface Sentence {
  start: number;
  end: number;
  /** The whitespace between the previous sentence and this one (empty span for the first). */
  gapStart: number;
}

/** Abbreviations that do not end a sentence, whatever follows them (lower case, without the final dot). */
const ABBREVIATIONS = new Set([
  "mr",
  "mrs",
  "ms",
  "mx",
  "dr",
  "st",
  "jr",
  "sr",
  "prof",
  "mt",
  "ft",
  "vs",
  "etc",
  "e.g",
  "i.e",
  "approx",
  "no",
  "inc",
  "co",
]);

/** Sentence punctuation, then closing quotes or brackets, then the whitespace before the next sentence. */
const END = /[.?!]+["'”’)\]]*(\s+)/g;

/** Splits a text into sentences. Whitespace before the first and after the last is not part of any. */
export function splitSentences(text: string): Sentence[] {
  const first = text.search(/\S/);
  if (first < 0) return [];
  const last = text.trimEnd().length;
  const sentences: Sentence[] = [];
  let start = first;
  let gapStart = first;
  for (const m of text.matchAll(END)) {
    const gap = m[1] as string;
    const gapBegin = (m.index ?? 0) + m[0].length - gap.length;
    const next = gapBegin + gap.length;
    if (next >= last || !endsSentence(text, m.index ?? 0, next)) continue;
    sentences.push({ start, end: gapBegin, gapStart });
    start = next;
    gapStart = gapBegin;
  }
  sentences.push({ start, end: last, gapStart });
  return sentences;
}

/**
 * Whether the capital letter at `at` is a person's initial ("J. K. Rowling", "John F. Kennedy")
 * rather than a label ending a sentence ("Juice Box A. Box B costs..."), which word problems use far
 * more: it is an initial after another initial, after a first name, or at the start of a sentence.
 */
function isInitial(text: string, at: number): boolean {
  const before = text.slice(0, at);
  const previous = before.trimEnd();
  if (previous === "" || /[.?!]["'”’)\]]*$/.test(previous)) return true;
  if (/\b[A-Z]\.\s+$/.test(before)) return true;
  const word = /(\p{Lu}\p{Ll}+)\s+$/u.exec(before)?.[1];
  return word !== undefined && FIRST_NAMES.has(word);
}

function endsSentence(text: string, punctuation: number, next: number): boolean {
  // A sentence starts with anything but a lower-case letter: "etc. and" or `"Hi!" she said` go on.
  const following = text.charAt(next);
  if (following.toLowerCase() === following && following.toUpperCase() !== following) return false;
  const marks = /^[.?!]+/.exec(text.slice(punctuation))?.[0] ?? "";
  if (marks !== ".") return true;
  const word = /([A-Za-z]+(?:\.[A-Za-z]+)*)$/.exec(
    text.slice(Math.max(0, punctuation - 20), punctuation),
  )?.[1];
  if (word === undefined) return true;
  if (/^[A-Z]$/.test(word)) return !isInitial(text, punctuation - 1);
  return !ABBREVIATIONS.has(word.toLowerCase());
}
