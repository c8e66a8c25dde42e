import { finalAnswerOf, problemHash } from "../../src/data/index.js";
import type { Problem } from "../../src/types/index.js";

/** A made-up problem as the data loader would produce it (never GSM8K text). */
export function makeProblem(question: string, answer: string, line = 1, source = "made-up"): Problem {
  const final = finalAnswerOf(answer);
  if ("reason" in final) throw new Error(`bad fixture: ${final.reason}`);
  return {
    id: `${source}:${line}`,
    source,
    line,
    question,
    answer,
    finalAnswer: final.finalAnswer,
    hash: problemHash(question, answer),
  };
}

/** Made-up problems the engine lifts, plus one it cannot (algebra), with hand-checked answers. */
export const MADE_UP: Array<{ question: string; answer: string }> = [
  {
    question:
      "A large pizza costs $12 and a drink costs $3. Tom buys 2 pizzas and 4 drinks. How much does he spend?",
    answer:
      "The pizzas cost 2 * 12 = $<<2*12=24>>24.\nThe drinks cost 4 * 3 = $<<4*3=12>>12.\nHe spends 24 + 12 = $<<24+12=36>>36.\n#### 36",
  },
  {
    question:
      "Janet has 15 stickers.  She gives 4 stickers to each of her 3 friends.\nHow many stickers does Janet have left?",
    answer:
      "Janet gives away 4 * 3 = <<4*3=12>>12 stickers.\nJanet has 15 - 12 = <<15-12=3>>3 stickers left.\n#### 3",
  },
  {
    question:
      "A farmer has 40 cows. Each cow gives 8 liters of milk a day. He sells the milk for $2 per liter. How much money does he make in a day?",
    answer: "The cows give 40 * 8 = <<40*8=320>>320 liters.\nHe makes 320 * 2 = $<<320*2=640>>640.\n#### 640",
  },
  {
    question:
      "Carlos reads 25 pages on Monday and 35 pages on Tuesday. His book has 150 pages. How many pages are left?",
    answer:
      "Carlos reads 25 + 35 = <<25+35=60>>60 pages.\nThere are 150 - 60 = <<150-60=90>>90 pages left.\n#### 90",
  },
  {
    question: "Mia buys 6 notebooks for $4 each and a bag for $18. How much does Mia spend?",
    answer: "The notebooks cost 6 * 4 = $<<6*4=24>>24.\nMia spends 24 + 18 = $<<24+18=42>>42.\n#### 42",
  },
  {
    question:
      "Sam has some marbles. After winning 7 more, Sam has 20 marbles. How many did Sam have at first?",
    answer: "Let x be the marbles Sam had.\nx + 7 = 20\nx = 20 - 7 = <<20-7=13>>13\n#### 13",
  },
];

export const madeUpProblems = (): Problem[] =>
  MADE_UP.map((p, i) => makeProblem(p.question, p.answer, i + 1));

const SHOPPERS = [
  "Tom",
  "Mia",
  "Carlos",
  "Janet",
  "Priya",
  "Omar",
  "Zoe",
  "Ivan",
  "Nina",
  "Hugo",
  "Leah",
  "Felix",
];
const ITEMS = ["pizza", "sandwich", "salad", "burger", "taco", "pie"];

/**
 * `count` made-up shopping problems with their worked solutions: a price, a count and a second
 * price, so every probe has something to do with each of them.
 */
export function shoppingProblems(count: number): Array<{ question: string; answer: string }> {
  return Array.from({ length: count }, (_, i) => {
    const name = SHOPPERS[i % SHOPPERS.length] as string;
    const item = ITEMS[i % ITEMS.length] as string;
    const price = 4 + (i % 7) * 2;
    const n = 2 + (i % 5);
    const drink = 1 + (i % 3);
    const food = price * n;
    return {
      question: `A ${item} costs $${price} and a drink costs $${drink}. ${name} buys ${n} of each. How much does ${name} spend?`,
      answer:
        `${name} pays ${n} * ${price} = $<<${n}*${price}=${food}>>${food} for food.\n` +
        `The drinks cost ${n} * ${drink} = $<<${n}*${drink}=${n * drink}>>${n * drink}.\n` +
        `${name} spends ${food} + ${n * drink} = $<<${food}+${n * drink}=${food + n * drink}>>${food + n * drink}.\n` +
        `#### ${food + n * drink}`,
    };
  });
}
