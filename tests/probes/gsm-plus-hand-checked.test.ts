/**
 * Hand-checked variants of the `decimal` and `digit-expansion` probes on real GSM8K test problems,
 * referenced by their 1-based line in ../shared/gsm8k/test.jsonl (the text itself is never copied
 * here; tests/probes/gsm-plus-hand-checked.md says how they were drawn and checked). Each expected
 * answer was worked out by hand from the variant's question before litmus's key was looked at;
 * `null` marks a variant the probe must refuse (each was made by an earlier build and judged
 * implausible, or is refused by a written-form rule since).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { resolveDataset } from "../../src/data/index.js";
import { parseProbeList } from "../../src/probes/registry.js";
import { runProbes } from "../../src/probes/run.js";
import type { Problem } from "../../src/types/index.js";
import { sharedGsm8kFile } from "../helpers/data-fixtures.js";

interface Case {
  probe: "decimal" | "digit-expansion";
  line: number;
  /** The edit: where in the question it starts, the text it replaces and the text it writes. */
  start: number;
  before: string;
  after: string;
  /** The hand-computed answer, or null when the probe must not make this variant. */
  expected: string | null;
  why: string;
}

const CASES: Case[] = [
  {
    probe: "decimal",
    line: 765,
    start: 200,
    before: "$3",
    after: "$2.75",
    expected: null,
    why: "refused since issue 19's review: the original answer, 14, is 13.75 rounded up (original_answer_is_a_rounding); the key 13.75 was right: 3 * $2 + 5 * $1 + 1 * $2.75",
  },
  {
    probe: "decimal",
    line: 1267,
    start: 88,
    before: "5",
    after: "4.5",
    expected: "136.5",
    why: "(3 * 4.5 + 2 * 3) kg a day * 7",
  },
  {
    probe: "decimal",
    line: 1054,
    start: 287,
    before: "$2",
    after: "$1.25",
    expected: null,
    why: "refused since issue 19's review: the original answer, 55, is 55.75 rounded down (original_answer_is_a_rounding); the key 55.75 was right: $10 + $15 + $48 / 2 + ($8 - $1.25)",
  },
  {
    probe: "decimal",
    line: 970,
    start: 134,
    before: "$600",
    after: "$600.50",
    expected: "1801.5",
    why: "2 * $600.50 + 2 * $300.25 (4 phones, the last 2 half price)",
  },
  {
    probe: "decimal",
    line: 1284,
    start: 70,
    before: "$1",
    after: "$0.75",
    expected: "50",
    why: "20 * $2 + 40 * $0.75 - 5 * $4",
  },
  {
    probe: "decimal",
    line: 6,
    start: 78,
    before: "$5",
    after: "$5.75",
    expected: "73.6",
    why: "8 * $5.75 + 8 * 60% of $5.75",
  },
  {
    probe: "decimal",
    line: 446,
    start: 123,
    before: "$3",
    after: "$2.75",
    expected: "8",
    why: "32 mph for 1/2 hour = 16 miles, 8 bales * $2.75 = $22, from six $5 bills",
  },
  {
    probe: "decimal",
    line: 646,
    start: 45,
    before: "2",
    after: "1.5",
    expected: "36",
    why: "8 * 1.5 kg * 3 bags",
  },
  {
    probe: "decimal",
    line: 543,
    start: 137,
    before: "$20",
    after: "$19.25",
    expected: null,
    why: "refused since issue 19's review: the original answer, 7, is 6.25 rounded up (original_answer_is_a_rounding); the key 6.25 was right: $19.25 - (3 * $1.50 + 5 * $0.80 + 6 * $0.75)",
  },
  {
    probe: "decimal",
    line: 449,
    start: 73,
    before: "$20",
    after: "$20.50",
    expected: "547.5",
    why: "17 * $20.50 + 31 * $25 - $576",
  },
  {
    probe: "decimal",
    line: 66,
    start: 11,
    before: "2",
    after: "2.5",
    expected: "45",
    why: "(2.5 + 1.25) hours * 3 * 4",
  },
  {
    probe: "decimal",
    line: 665,
    start: 74,
    before: "2",
    after: "2.5",
    expected: "40",
    why: "4 * 2.5 hours * 6 weeks / 1.5",
  },
  {
    probe: "decimal",
    line: 10,
    start: 36,
    before: "40",
    after: "40.75",
    expected: "458.5",
    why: "40.75 * $10 + (45 - 40.75) * $12",
  },
  {
    probe: "decimal",
    line: 267,
    start: 181,
    before: "$250 000",
    after: "$250 000.50",
    expected: null,
    why: "refused: amounts from $1000 are left whole ($250 000.50 reads as a puzzle)",
  },
  {
    probe: "decimal",
    line: 702,
    start: 287,
    before: "$2",
    after: "$1.50",
    expected: "150",
    why: "20 people * (2 + 3) * $1.50",
  },
  {
    probe: "decimal",
    line: 843,
    start: 68,
    before: "$70",
    after: "$70.50",
    expected: null,
    why: "refused since issue 19's review: the original answer, 10, is 9.5 rounded up (original_answer_is_a_rounding); the key 9.5 was right: 4 * $20 - $70.50",
  },
  {
    probe: "decimal",
    line: 332,
    start: 137,
    before: "$42,000",
    after: "$41,999.50",
    expected: null,
    why: "refused: amounts from $1000 are left whole",
  },
  {
    probe: "decimal",
    line: 336,
    start: 12,
    before: "30",
    after: "30.25",
    expected: "312",
    why: "8 * 30.25 + 70 ounces",
  },
  {
    probe: "decimal",
    line: 432,
    start: 176,
    before: "$16",
    after: "$16.25",
    expected: null,
    why: "refused since issue 19's review: the original answer, 1, is 0.75 rounded up (original_answer_is_a_rounding); the key 0.75 was right: ($6 + $11 + $2) - ($2 + $16.25)",
  },
  {
    probe: "decimal",
    line: 1258,
    start: 149,
    before: "$2.00",
    after: "$1.50",
    expected: "10.5",
    why: "56 / 8 boxes * $1.50",
  },
  {
    probe: "decimal",
    line: 197,
    start: 111,
    before: "2",
    after: "2.25",
    expected: "110",
    why: "200 - 40 * 2.25 pounds",
  },
  {
    probe: "decimal",
    line: 835,
    start: 130,
    before: "6",
    after: "5.5",
    expected: "76",
    why: "8 mph * (4 + 5.5) hours",
  },
  {
    probe: "decimal",
    line: 9,
    start: 16,
    before: "3",
    after: "3.75",
    expected: "90",
    why: "3.75 * 60 - (0.5 * 30 + 1.5 * 80)",
  },
  {
    probe: "decimal",
    line: 144,
    start: 19,
    before: "2",
    after: "1.75",
    expected: null,
    why: "refused since issue 19's review: the original answer, 16, is 15.75 rounded up (original_answer_is_a_rounding); the key 15.75 was right: $1.75 + $3 + ($3 + $3 + $4) * 1.1",
  },
  {
    probe: "decimal",
    line: 715,
    start: 111,
    before: "30",
    after: "29.5",
    expected: null,
    why: "refused since issue 19's review: the original answer, 10, is 9.5 rounded up (original_answer_is_a_rounding); the key 9.5 was right: 29.5 * $2.5 - ($20 + 29.5 * $1.5)",
  },
  {
    probe: "decimal",
    line: 706,
    start: 67,
    before: "15",
    after: "14.75",
    expected: "118",
    why: "14.75 / 5 ft/s * 40 s",
  },
  {
    probe: "decimal",
    line: 318,
    start: 13,
    before: "6",
    after: "5.25",
    expected: "10.5",
    why: "5.25 * 4 * 5 cubic feet * $0.1",
  },
  {
    probe: "decimal",
    line: 46,
    start: 152,
    before: "4 hours",
    after: "1/2 hour",
    expected: "13",
    why: "(5 + 7 + 14) articles * 1/2 hour",
  },
  {
    probe: "decimal",
    line: 197,
    start: 111,
    before: "2 pounds",
    after: "3/4 pound",
    expected: "170",
    why: "200 - 40 * 3/4 pound",
  },
  {
    probe: "decimal",
    line: 646,
    start: 45,
    before: "2 kilograms",
    after: "3/4 kilogram",
    expected: "18",
    why: "8 * 3/4 kg * 3 bags",
  },
  {
    probe: "decimal",
    line: 868,
    start: 173,
    before: "3 pounds",
    after: "3/4 pound",
    expected: "9.25",
    why: "5 * 2 - 3/4 pound",
  },
  {
    probe: "decimal",
    line: 1045,
    start: 120,
    before: "4 feet",
    after: "1/2 foot",
    expected: null,
    why: "refused: a person half a foot tall",
  },
  {
    probe: "decimal",
    line: 915,
    start: 32,
    before: "1000 miles",
    after: "1/4 mile",
    expected: null,
    why: "refused: only measures up to 4 units become a part of one (1000 miles -> 1/4 mile)",
  },
  {
    probe: "decimal",
    line: 10,
    start: 36,
    before: "40 hours",
    after: "1/4 hour",
    expected: null,
    why: "refused: 40 hours -> 1/4 hour is no small measure",
  },
  {
    probe: "decimal",
    line: 858,
    start: 68,
    before: "4000",
    after: "3999.5",
    expected: null,
    why: "refused: measures from 1000 units are left whole",
  },
  {
    probe: "digit-expansion",
    line: 203,
    start: 116,
    before: "2",
    after: "200",
    expected: "10000",
    why: "10 acres * 5 tons * 200 barrels",
  },
  {
    probe: "digit-expansion",
    line: 326,
    start: 73,
    before: "100",
    after: "100,000",
    expected: "224000000",
    why: "40,000 juniors * $2000 + 60,000 seniors * $2400",
  },
  {
    probe: "digit-expansion",
    line: 659,
    start: 222,
    before: "30",
    after: "30,000",
    expected: "90030",
    why: "30,000 + 30,020 + 60,020 / 2 minutes",
  },
  {
    probe: "digit-expansion",
    line: 28,
    start: 136,
    before: "$4.00",
    after: "$400.00",
    expected: "1600",
    why: "60 servings / 15 per carton * $400",
  },
  {
    probe: "digit-expansion",
    line: 116,
    start: 272,
    before: "$16",
    after: "$160",
    expected: "450",
    why: "(10 * $10 + 5 * $160) * 50% markup",
  },
  {
    probe: "digit-expansion",
    line: 195,
    start: 85,
    before: "$20",
    after: "$2000",
    expected: "1990",
    why: "$2000 - 5 * $2",
  },
  {
    probe: "digit-expansion",
    line: 222,
    start: 28,
    before: "120",
    after: "120,000",
    expected: "359730",
    why: "(120,000 - 90) * 3 liters",
  },
  {
    probe: "digit-expansion",
    line: 1167,
    start: 346,
    before: "20",
    after: "200",
    expected: "20350",
    why: "50 + 150 + 350 + (10,000 - 200) + 200 * 50 fruits",
  },
  {
    probe: "digit-expansion",
    line: 311,
    start: 9,
    before: "$6000",
    after: "$600,000",
    expected: "596050",
    why: "$600,000 - (6 * $100 + 3 * $50 + $1200) - $2000 saved",
  },
  {
    probe: "digit-expansion",
    line: 517,
    start: 72,
    before: "3",
    after: "3000",
    expected: "375000",
    why: "25 punches * 5 rounds * 3000 minutes",
  },
  {
    probe: "digit-expansion",
    line: 1164,
    start: 78,
    before: "three",
    after: "thirty",
    expected: "120",
    why: "2 masks * 30 times * 2 days",
  },
  {
    probe: "digit-expansion",
    line: 272,
    start: 23,
    before: "3",
    after: "300",
    expected: "1208",
    why: "2 houses * 300 bedrooms * 2 windows + 2 * 4",
  },
  {
    probe: "digit-expansion",
    line: 1059,
    start: 102,
    before: "50",
    after: "50,000",
    expected: "150100",
    why: "100 + 50,000 + 100,000 stickers",
  },
  {
    probe: "digit-expansion",
    line: 368,
    start: 263,
    before: "50",
    after: "50,000",
    expected: "49969",
    why: "50,000 - (3 + 7 + 21)",
  },
  {
    probe: "digit-expansion",
    line: 913,
    start: 118,
    before: "4",
    after: "4000",
    expected: "6000",
    why: "45 min * 4000 / 30 min per bottle",
  },
  {
    probe: "digit-expansion",
    line: 532,
    start: 0,
    before: "48",
    after: "480",
    expected: "498",
    why: "480 - 8 + 40 - 21 + 7",
  },
  {
    probe: "digit-expansion",
    line: 985,
    start: 29,
    before: "111",
    after: "111,000",
    expected: "443898",
    why: "(111,000 / 1.5 - 17) * $6, the gold solution's reading (it leaves out the plants' 1 foot width, as the original's 342 does)",
  },
  {
    probe: "digit-expansion",
    line: 667,
    start: 106,
    before: "$120",
    after: "$1200",
    expected: "1020",
    why: "($1200 + $900 + $960) / 3",
  },
  {
    probe: "digit-expansion",
    line: 1028,
    start: 96,
    before: "$3",
    after: "$300",
    expected: null,
    why: "refused: the question calls the prices proportional ($300 for 2, $6 for 4 breaks it)",
  },
  {
    probe: "digit-expansion",
    line: 645,
    start: 35,
    before: "4",
    after: "40",
    expected: "47",
    why: "(60 + 40) / 2 - 3",
  },
];

describe("hand-checked decimal and digit-expansion variants of GSM8K test problems", () => {
  let problems: Map<number, Problem>;
  before(async () => {
    const ds = await resolveDataset(sharedGsm8kFile("test.jsonl"));
    problems = new Map(ds.problems.map((p) => [p.line, p]));
  });

  for (const probe of ["decimal", "digit-expansion"] as const) {
    const cases = CASES.filter((c) => c.probe === probe);
    it(`${probe}: ${cases.filter((c) => c.expected !== null).length} keys as solved by hand, ${cases.filter((c) => c.expected === null).length} refusals`, () => {
      // Enough instances to enumerate every candidate the probe has, so a case does not depend on
      // which of them a seed draws first.
      const probes = parseProbeList(probe, { instances: 500 });
      for (const c of cases) {
        const problem = problems.get(c.line) as Problem;
        const made = runProbes([problem], probes, 1).variants.filter(
          (v) =>
            v.edits.length === 1 &&
            v.edits[0]?.start === c.start &&
            v.edits[0]?.before === c.before &&
            v.edits[0]?.after === c.after,
        );
        if (c.expected === null) {
          assert.equal(
            made.length,
            0,
            `line ${c.line}: ${c.before} -> ${c.after} must be refused (${c.why})`,
          );
          continue;
        }
        assert.equal(made.length, 1, `line ${c.line}: ${c.before} -> ${c.after} not made`);
        assert.equal(made[0]?.expected, c.expected, `line ${c.line}: ${c.why}`);
        assert.ok(made[0]?.solution.endsWith(`#### ${c.expected}`), `line ${c.line}: solution's last line`);
      }
    });
  }

  it("refuses a candidate whose solution rewrites would overlap, and searches on (line 411)", () => {
    // Deeper searches (--instances) reached such a candidate on line 411 and lost the problem to a
    // probe error; at probe seed 2 even the first search did. Keys solved by hand: $60 - ($3 +
    // $1.50 taffy + $1.50 shells + 4 * $0.25) = 53; $30 - (4.50 + 1.50 + 4 * $0.35) = 22.6.
    const run = runProbes([problems.get(411) as Problem], parseProbeList("number-swap"), 2);
    assert.deepEqual(run.errors, []);
    assert.deepEqual(
      run.variants.map((v) => [v.edits.map((e) => `${e.before}->${e.after}`).join(","), v.expected]),
      [
        ["$10->$60", "53"],
        ["$10->$30,$0.25->$0.35", "22.6"],
      ],
    );
  });
});
