/**
 * The distractor probe's bank of sentences, as data (GSM-IC, GSM-NoOp: one irrelevant sentence).
 * Each sentence speaks of the problem's own person or things and states a number, but only about
 * an unrelated attribute, a past event or another person, so it can change nothing the question
 * asks. The probe (distractor.ts) fills the slots and refuses a template whenever its guards say
 * the sentence could touch the problem: see `avoid` and `unit`.
 *
 * Slots: `{name}` a first name of the problem, `{name's}` its possessive, `{noun}` a plural noun the
 * problem counts ("16 eggs" gives `eggs`), `{n}` the number. No template negates anything: a
 * sentence that says what is not so could contradict what the problem states.
 */

export interface DistractorTemplate {
  /** Stable name, counted in refusals and recorded in the probe's parameters. */
  id: string;
  text: string;
  /**
   * What the number counts (a plural noun, or `{noun}`). A question that asks about it (its words,
   * or the units "how long", "how old", "how far" imply) refuses the template: "how many apples"
   * never meets "7 apples".
   */
  unit: string;
  /** The number's inclusive range; values the problem or its solution contains are never used. */
  range: readonly [number, number];
  /**
   * Word beginnings (matched at a word start, case folded) that refuse the template when anywhere in
   * the problem or its solution: the sentence's topic, its other person, its time, so it never
   * speaks of something the problem is about ("Last year" where the problem reasons about years, a
   * neighbour the problem counts).
   */
  avoid: readonly string[];
}

/** Time words the problem might reason about; a template naming a time avoids them all. */
const YEARS = ["year", "annual", "age", "old", "born", "birthday"];

export const DISTRACTOR_TEMPLATES: readonly DistractorTemplate[] = [
  {
    id: "neighbor-cats",
    text: "{name's} neighbor has {n} cats.",
    unit: "cats",
    range: [2, 5],
    avoid: ["neighbo", "cat", "kitten", "pet"],
  },
  {
    id: "favorite-number",
    text: "{name's} favorite number is {n}.",
    unit: "numbers",
    range: [3, 29],
    avoid: ["favo", "number", "digit", "lucky"],
  },
  {
    id: "friend-blocks",
    text: "{name's} best friend lives {n} blocks away.",
    unit: "blocks",
    range: [2, 9],
    avoid: ["friend", "block", "live", "away"],
  },
  {
    id: "summer-books",
    text: "Last summer, {name} read {n} books.",
    unit: "books",
    range: [3, 12],
    avoid: ["summer", "last", "book", "read", "page", "librar", "novel", "chapter", "stor"],
  },
  {
    id: "town-years",
    text: "{name} has lived in the same town for {n} years.",
    unit: "years",
    range: [3, 12],
    avoid: [...YEARS, "live", "town", "city", "move", "house", "home"],
  },
  {
    id: "zoo-visits",
    text: "{name} has been to the zoo {n} times.",
    unit: "times",
    range: [2, 6],
    avoid: ["zoo", "visit", "animal", "trip"],
  },
  {
    id: "neighbor-bought-noun",
    text: "Last year, {name's} neighbor bought {n} {noun}.",
    unit: "{noun}",
    range: [3, 15],
    avoid: [...YEARS, "last", "neighbo"],
  },
  {
    id: "friend-has-noun",
    text: "A friend of {name's} has {n} {noun} at home.",
    unit: "{noun}",
    range: [3, 15],
    avoid: ["friend", "home"],
  },
  {
    id: "neighbor-bought-noun-unnamed",
    text: "Last year, a neighbor bought {n} {noun}.",
    unit: "{noun}",
    range: [3, 15],
    avoid: [...YEARS, "last", "neighbo"],
  },
];

/**
 * Things `{noun}` may be: everyday goods one buys by the piece and keeps at home, so that "a
 * neighbor bought 7 ..." and "has 7 ... at home" read as sentences. A problem's counted word that
 * is not one of them (a unit, people, "points", "vaccines") fills no template.
 */
export const DISTRACTOR_NOUNS: ReadonlySet<string> = new Set(
  (
    "apples oranges bananas pears peaches lemons cherries grapes kiwis pineapples watermelons pomegranates " +
    "tomatoes potatoes carrots onions cucumbers peppers eggplants yams eggs cookies cupcakes muffins brownies " +
    "bagels pretzels croissants baguettes pies cakes candies lollipops gumballs marshmallows popsicles " +
    "sandwiches burritos hotdogs hamburgers dumplings sausages meatballs pizzas sodas drinks snacks " +
    "books notebooks magazines albums pencils pens crayons erasers markers stickers cards magnets marbles " +
    "toys balls balloons candles flowers roses sunflowers orchids geraniums petunias carnations plants seeds " +
    "shirts blouses hats socks shoes sneakers boots helmets bags suitcases bottles jars cups glasses plates " +
    "spoons bowls vases mirrors buttons"
  ).split(" "),
);
