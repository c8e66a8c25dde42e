import type { Exemplar, PromptFormatSpec } from "../types/audit.js";

/**
 * The built-in prompt formats, as data. Adding a format means adding a record here, not code.
 */

/**
 * Where a base model such as phi-1.5 goes on after its answer: a textbook-style "Exercise 2: ...",
 * a new "Q:" line, a run of blank lines before unrelated text, or an end-of-text marker written
 * as text (by a server that keeps special tokens; the in-process runner stops at the eos id).
 * Each is anchored to a line start where a solution's own words could hold it ("\nExercise", not
 * "Exercise"); none occurs in any of GSM8K's 8,792 train and test solutions
 * (tests/prompts/stops.test.ts), so no worked answer is cut. Not "\n\n": six GSM8K solutions
 * have a blank line between steps.
 */
const RAMBLE_STOPS = ["\nExercise", "\n\n\n", "<|endoftext|>"];

/** End-of-turn markers lm-evaluation-harness's gsm8k tasks also stop at (never in an answer). */
const HARNESS_END_STOPS = ["</s>", "<|im_end|>"];

/** Zero-shot, as phi-1.5's model card prompts math questions. */
export const QA: PromptFormatSpec = {
  name: "qa",
  description: 'zero-shot "Question: ...\\nAnswer:"',
  template: "Question: {question}\nAnswer:",
  exemplarTemplate: "",
  exemplarSeparator: "",
  shots: 0,
  exemplars: { kind: "none" },
  // Without exemplars the model has no cue to stop: a new "Question:" (or "Q:") is the usual ramble.
  stop: ["Question:", "\nQ:", ...RAMBLE_STOPS],
};

/**
 * lm-evaluation-harness's `gsm8k` task: `Question: {q}\nAnswer: {full solution}` exemplars joined by
 * blank lines, stop at "Question:" (and the harness's end-of-turn markers, plus the rambles
 * above). The harness's `first_n` sampler shows the first five train problems; lines 6-10 replace
 * any of them that is the problem being asked. The exemplars are referenced by line and read from
 * the train split at run time: GSM8K text never enters the code.
 */
export const GSM8K_5SHOT: PromptFormatSpec = {
  name: "gsm8k-5shot",
  description: "lm-evaluation-harness gsm8k: 5 train exemplars with full solutions",
  template: "{exemplars}Question: {question}\nAnswer:",
  exemplarTemplate: "Question: {question}\nAnswer: {answer}",
  exemplarSeparator: "\n\n",
  shots: 5,
  exemplars: { kind: "gsm8k-train", lines: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
  stop: ["Question:", ...HARNESS_END_STOPS, "\nQ:", ...RAMBLE_STOPS],
};

/**
 * The 8-shot chain-of-thought exemplars of Wei et al. (2022), as lm-evaluation-harness's `gsm8k_cot`
 * uses them. They were written for the paper and are not GSM8K problems.
 */
const COT_EXEMPLARS: Array<[question: string, answer: string, final: string]> = [
  [
    "There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, there will be 21 trees. How many trees did the grove workers plant today?",
    "There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have been 21 - 15 = 6. The answer is 6.",
    "6",
  ],
  [
    "If there are 3 cars in the parking lot and 2 more cars arrive, how many cars are in the parking lot?",
    "There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5. The answer is 5.",
    "5",
  ],
  [
    "Leah had 32 chocolates and her sister had 42. If they ate 35, how many pieces do they have left in total?",
    "Originally, Leah had 32 chocolates. Her sister had 42. So in total they had 32 + 42 = 74. After eating 35, they had 74 - 35 = 39. The answer is 39.",
    "39",
  ],
  [
    "Jason had 20 lollipops. He gave Denny some lollipops. Now Jason has 12 lollipops. How many lollipops did Jason give to Denny?",
    "Jason started with 20 lollipops. Then he had 12 after giving some to Denny. So he gave Denny 20 - 12 = 8. The answer is 8.",
    "8",
  ],
  [
    "Shawn has five toys. For Christmas, he got two toys each from his mom and dad. How many toys does he have now?",
    "Shawn started with 5 toys. If he got 2 toys each from his mom and dad, then that is 4 more toys. 5 + 4 = 9. The answer is 9.",
    "9",
  ],
  [
    "There were nine computers in the server room. Five more computers were installed each day, from monday to thursday. How many computers are now in the server room?",
    "There were originally 9 computers. For each of 4 days, 5 more computers were added. So 5 * 4 = 20 computers were added. 9 + 20 is 29. The answer is 29.",
    "29",
  ],
  [
    "Michael had 58 golf balls. On tuesday, he lost 23 golf balls. On wednesday, he lost 2 more. How many golf balls did he have at the end of wednesday?",
    "Michael started with 58 golf balls. After losing 23 on tuesday, he had 58 - 23 = 35. After losing 2 more, he had 35 - 2 = 33 golf balls. The answer is 33.",
    "33",
  ],
  [
    "Olivia has $23. She bought five bagels for $3 each. How much money does she have left?",
    "Olivia had 23 dollars. 5 bagels for 3 dollars each will be 5 x 3 = 15 dollars. So she has 23 - 15 dollars left. 23 - 15 is 8. The answer is 8.",
    "8",
  ],
];

/**
 * `Q: ... A: ... The answer is N.` exemplars, stop at "Q:" (lm-evaluation-harness `gsm8k_cot`;
 * its end-of-turn markers too, a "Question:" line and the rambles above).
 */
export const COT_8SHOT: PromptFormatSpec = {
  name: "cot-8shot",
  description: 'the 8-shot chain-of-thought set (Wei et al. 2022), "Q: ... A: ... The answer is N."',
  template: "{exemplars}Q: {question}\nA:",
  exemplarTemplate: "Q: {question}\nA: {answer}",
  exemplarSeparator: "\n\n",
  shots: 8,
  exemplars: {
    kind: "inline",
    exemplars: COT_EXEMPLARS.map(
      ([question, answer, final], i): Exemplar => ({ id: `cot-8shot:${i + 1}`, question, answer, final }),
    ),
  },
  stop: ["Q:", ...HARNESS_END_STOPS, "\nQuestion:", ...RAMBLE_STOPS],
};

/**
 * Program of thought (phi-1.5's GSM8K figure was produced "via coding"): the model writes the body
 * of `solution()` and the answer is what the function returns, run in the Python sandbox
 * (`answerFrom: "code"`). Generation stops at the closing fence, a second function or a new question.
 */
export const CODE: PromptFormatSpec = {
  name: "code",
  description: "program of thought: the answer is what the generated Python solution() returns",
  template:
    "Write a Python function solution() that returns the final answer as a number.\n\nQuestion: {question}\n\n```python\ndef solution():\n",
  exemplarTemplate: "",
  exemplarSeparator: "",
  shots: 0,
  exemplars: { kind: "none" },
  // Not "\n\n\n": a program may hold blank lines; an indented body never starts a line "Exercise".
  stop: ["```", "\ndef ", "\nQuestion:", "\nExercise", "<|endoftext|>"],
  answerFrom: "code",
};

/** Built-in formats by name. */
export const BUILTIN_FORMATS: ReadonlyMap<string, PromptFormatSpec> = new Map(
  [QA, GSM8K_5SHOT, COT_8SHOT, CODE].map((f) => [f.name, f]),
);
