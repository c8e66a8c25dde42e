/**
 * Exact rational arithmetic on bigints. Recomputed answers must never drift the way floats do
 * (0.1 + 0.2), so every quantity and every step value is a Rational.
 */
export class Rational {
  /** Always reduced, with a positive denominator. */
  readonly num: bigint;
  readonly den: bigint;

  private constructor(num: bigint, den: bigint) {
    this.num = num;
    this.den = den;
  }

  static of(num: bigint | number, den: bigint | number = 1n): Rational {
    let n = BigInt(num);
    let d = BigInt(den);
    if (d === 0n) throw new RangeError("division by zero");
    if (d < 0n) {
      n = -n;
      d = -d;
    }
    const g = gcd(n < 0n ? -n : n, d);
    return new Rational(n / g, d / g);
  }

  static readonly ZERO = Rational.of(0n);
  static readonly ONE = Rational.of(1n);

  /** Parses `12`, `-3`, `1,200.50`, `.5`, `2.` (commas are thousands separators). Null if not a number. */
  static parse(text: string): Rational | null {
    const t = text.replace(/,/g, "").trim();
    const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(t);
    if (!m || (m[2] === "" && (m[3] ?? "") === "")) return null;
    const sign = m[1] === "-" ? -1n : 1n;
    const intPart = m[2] === "" ? "0" : (m[2] as string);
    const frac = m[3] ?? "";
    const den = 10n ** BigInt(frac.length);
    return Rational.of(sign * (BigInt(intPart) * den + BigInt(frac === "" ? "0" : frac)), den);
  }

  add(o: Rational): Rational {
    return Rational.of(this.num * o.den + o.num * this.den, this.den * o.den);
  }
  sub(o: Rational): Rational {
    return Rational.of(this.num * o.den - o.num * this.den, this.den * o.den);
  }
  mul(o: Rational): Rational {
    return Rational.of(this.num * o.num, this.den * o.den);
  }
  div(o: Rational): Rational {
    if (o.num === 0n) throw new RangeError("division by zero");
    return Rational.of(this.num * o.den, this.den * o.num);
  }
  neg(): Rational {
    return new Rational(-this.num, this.den);
  }

  equals(o: Rational): boolean {
    return this.num === o.num && this.den === o.den;
  }
  compare(o: Rational): number {
    const diff = this.num * o.den - o.num * this.den;
    return diff < 0n ? -1 : diff > 0n ? 1 : 0;
  }
  isInteger(): boolean {
    return this.den === 1n;
  }
  isNegative(): boolean {
    return this.num < 0n;
  }

  floor(): Rational {
    const q = this.num / this.den;
    return Rational.of(this.num < 0n && q * this.den !== this.num ? q - 1n : q);
  }
  ceil(): Rational {
    return this.floor().equals(this) ? this : this.floor().add(Rational.ONE);
  }
  /** Rounds half away from zero to `decimals` fraction digits. */
  roundTo(decimals: number): Rational {
    const scale = 10n ** BigInt(decimals);
    const scaled = this.mul(Rational.of(scale));
    const abs = scaled.num < 0n ? scaled.neg() : scaled;
    const twice = (abs.num * 2n + abs.den) / (abs.den * 2n);
    return Rational.of(scaled.num < 0n ? -twice : twice, scale);
  }

  /** Number of fraction digits of the exact decimal expansion, or null when it does not terminate. */
  decimalPlaces(): number | null {
    let d = this.den;
    let twos = 0;
    let fives = 0;
    while (d % 2n === 0n) {
      d /= 2n;
      twos++;
    }
    while (d % 5n === 0n) {
      d /= 5n;
      fives++;
    }
    return d === 1n ? Math.max(twos, fives) : null;
  }

  /** Exact decimal text (`-12.5`), or null when the expansion does not terminate. */
  toDecimal(): string | null {
    const places = this.decimalPlaces();
    if (places === null) return null;
    return this.toFixed(places);
  }

  /** Decimal text with exactly `places` fraction digits (rounded half away from zero). */
  toFixed(places: number): string {
    const r = this.roundTo(places);
    const scale = 10n ** BigInt(places);
    const scaled = (r.num * scale) / r.den;
    const neg = scaled < 0n;
    const digits = (neg ? -scaled : scaled).toString().padStart(places + 1, "0");
    const int = digits.slice(0, digits.length - places);
    const frac = digits.slice(digits.length - places);
    return `${neg ? "-" : ""}${int}${places > 0 ? `.${frac}` : ""}`;
  }

  /** Canonical text: exact decimal when it terminates, else `num/den`. */
  toString(): string {
    return this.toDecimal() ?? `${this.num}/${this.den}`;
  }

  toNumber(): number {
    return Number(this.num) / Number(this.den);
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}
