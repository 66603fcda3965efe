/**
 * Exact money arithmetic. Amounts travel as JSON numbers with at most 4 decimal places and are
 * stored and summed as integer "units" of 1/10,000 (bigint while summing), so totals never drift.
 */
export const MONEY_SCALE = 4;
const FACTOR = 10n ** BigInt(MONEY_SCALE);
/** Largest amount accepted: keeps units within Number.MAX_SAFE_INTEGER. */
export const MAX_AMOUNT = 99_999_999_999;

/**
 * Decimal string of a finite number without exponent notation, exact to the digits JavaScript
 * prints for it: 1e-7 → "0.0000001", 5e-324 → "0.000…005" (324 places), 1.5e21 → "1500000000000000000000".
 */
function plainDecimal(value: number): string {
  const s = String(value);
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/i.exec(s);
  if (!m) return s;
  const [, sign, whole, frac = '', exp] = m;
  const digits = whole + frac;
  const point = whole.length + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Number of digits after the decimal point of a number as written in JSON. */
export function decimalPlaces(value: number): number {
  const s = plainDecimal(value);
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** Amount (number) → integer units. Throws on more than 4 decimal places. */
export function toUnits(amount: number): number {
  const s = plainDecimal(Math.abs(amount));
  const [whole, frac = ''] = s.split('.');
  if (frac.length > MONEY_SCALE) throw new RangeError(`amount has more than ${MONEY_SCALE} decimal places`);
  const units = BigInt(whole) * FACTOR + BigInt(frac.padEnd(MONEY_SCALE, '0'));
  return Number(amount < 0 ? -units : units);
}

/** Integer units → amount (number). Exact for every value accepted by toUnits. */
export function fromUnits(units: number | bigint): number {
  return Number(unitsToDecimalString(BigInt(units)));
}

export function unitsToDecimalString(units: bigint): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / FACTOR;
  const frac = (abs % FACTOR).toString().padStart(MONEY_SCALE, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${frac ? '.' + frac : ''}`;
}

/** Sum amounts exactly; returns a number (shortest exact representation). */
export function sumAmounts(amounts: Iterable<number>): number {
  let total = 0n;
  for (const a of amounts) total += BigInt(toUnits(a));
  return fromUnits(total);
}

/**
 * amount × probability, rounded half-up to 4 decimal places, computed exactly.
 * probability is 0–1 with at most 4 decimal places as well.
 */
export function weightedUnits(units: number, probability: number): bigint {
  const p = BigInt(toUnits(probability)); // probability scaled by 10^4
  const product = BigInt(units) * p; // scaled by 10^8
  return (product + FACTOR / 2n) / FACTOR;
}

export interface MoneyTotals {
  currency: string;
  count: number;
  value: number;
  weightedValue: number;
}

/** Accumulates value and weighted value per currency with bigint precision. */
export class MoneyAccumulator {
  private readonly byCurrency = new Map<string, { count: number; value: bigint; weighted: bigint }>();

  add(currency: string, units: number | null, probability: number | null): void {
    let entry = this.byCurrency.get(currency);
    if (!entry) {
      entry = { count: 0, value: 0n, weighted: 0n };
      this.byCurrency.set(currency, entry);
    }
    entry.count += 1;
    if (units != null) {
      entry.value += BigInt(units);
      entry.weighted += weightedUnits(units, probability ?? 0);
    }
  }

  totals(): MoneyTotals[] {
    return [...this.byCurrency.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, e]) => ({ currency, count: e.count, value: fromUnits(e.value), weightedValue: fromUnits(e.weighted) }));
  }
}
