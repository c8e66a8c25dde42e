import { Rational } from "./rational.js";

/** A numeric literal inside an arithmetic expression, with its span in the enclosing text. */
export interface Literal {
  start: number;
  end: number;
  text: string;
  value: Rational;
  /** True when the literal is the right operand of a division (it may be a fraction word's divisor). */
  divisor: boolean;
}

export type Expr =
  | { op: "lit"; literal: number }
  | { op: "neg"; arg: Expr }
  /** A rounding step written in words: "round 6.75 up to 7". */
  | { op: "round"; mode: "up" | "down" | "nearest"; arg: Expr }
  | { op: "+" | "-" | "*" | "/"; left: Expr; right: Expr };

export interface ParsedExpression {
  expr: Expr;
  literals: Literal[];
}

/**
 * Parses the arithmetic in a calculator annotation (`48/2`, `(3+4)*.5`) into a tree whose leaves
 * index `literals`. `offset` is added to spans so they point into the whole solution text. Returns
 * null for anything that is not plain arithmetic (algebra, functions, stray characters).
 */
export function parseExpression(text: string, offset = 0): ParsedExpression | null {
  const literals: Literal[] = [];
  let pos = 0;
  const skip = () => {
    while (pos < text.length && /[\s$%]/.test(text[pos] as string)) pos++;
  };
  const peek = (): string | undefined => {
    skip();
    return text[pos];
  };

  const parseSum = (): Expr | null => {
    let left = parseProduct();
    while (left) {
      const c = peek();
      if (c !== "+" && c !== "-" && c !== "−") break;
      pos++;
      const right = parseProduct();
      if (!right) return null;
      left = { op: c === "+" ? "+" : "-", left, right };
    }
    return left;
  };
  const parseProduct = (): Expr | null => {
    let left = parseUnary(false);
    while (left) {
      const c = peek();
      const op = c === "*" || c === "x" || c === "×" ? "*" : c === "/" || c === "÷" ? "/" : null;
      if (!op) break;
      pos++;
      const right = parseUnary(op === "/");
      if (!right) return null;
      left = { op, left, right };
    }
    return left;
  };
  const parseUnary = (divisor: boolean): Expr | null => {
    const c = peek();
    if (c === "-") {
      pos++;
      const arg = parseUnary(divisor);
      return arg ? { op: "neg", arg } : null;
    }
    if (c === "+") {
      pos++;
      return parseUnary(divisor);
    }
    if (c === "(") {
      pos++;
      const inner = parseSum();
      if (!inner || peek() !== ")") return null;
      pos++;
      return inner;
    }
    const m = /^(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)/.exec(text.slice(pos));
    if (!m) return null;
    const value = Rational.parse(m[0]);
    if (!value) return null;
    literals.push({ start: offset + pos, end: offset + pos + m[0].length, text: m[0], value, divisor });
    pos += m[0].length;
    return { op: "lit", literal: literals.length - 1 };
  };

  const expr = parseSum();
  skip();
  if (!expr || pos !== text.length) return null;
  return { expr, literals };
}

/** Evaluates a tree given each literal's value; throws RangeError on division by zero. */
export function evaluate(expr: Expr, values: readonly Rational[]): Rational {
  switch (expr.op) {
    case "lit":
      return values[expr.literal] as Rational;
    case "neg":
      return evaluate(expr.arg, values).neg();
    case "round": {
      const v = evaluate(expr.arg, values);
      return expr.mode === "up" ? v.ceil() : expr.mode === "down" ? v.floor() : v.roundTo(0);
    }
    case "+":
      return evaluate(expr.left, values).add(evaluate(expr.right, values));
    case "-":
      return evaluate(expr.left, values).sub(evaluate(expr.right, values));
    case "*":
      return evaluate(expr.left, values).mul(evaluate(expr.right, values));
    case "/":
      return evaluate(expr.left, values).div(evaluate(expr.right, values));
  }
}

/** Number of operators in a tree: an annotation with none (`<<8=8>>`) restates a value, it computes nothing. */
export function operatorCount(expr: Expr): number {
  if (expr.op === "lit") return 0;
  if (expr.op === "neg") return operatorCount(expr.arg);
  if (expr.op === "round") return 1 + operatorCount(expr.arg);
  return 1 + operatorCount(expr.left) + operatorCount(expr.right);
}
