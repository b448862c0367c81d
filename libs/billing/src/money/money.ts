import { Decimal } from 'decimal.js';

/** Integer minor units, signed. */
export type MinorAmount = bigint;

/** A decimal.js constructor of its own: billing's precision and rounding never depend on global state. */
const D = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -60, toExpPos: 60 });

export const BPS_DENOMINATOR = 10_000;

/** Rounds an exact decimal amount of minor units once, half-up (ties away from zero), to a whole minor unit. */
export function roundMinor(value: Decimal.Value): MinorAmount {
  return BigInt(new D(value).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0));
}

/** `units × unitPrice` (an exact decimal of minor units, e.g. "0.05"), rounded once. */
export function lineAmount(units: bigint, unitPriceMinor: string): MinorAmount {
  return roundMinor(new D(units.toString()).times(new D(unitPriceMinor)));
}

/** `price × numerator ÷ denominator` (a time fraction), rounded once. */
export function prorate(priceMinor: bigint, numerator: number, denominator: number): MinorAmount {
  if (denominator <= 0) throw new Error('proration needs a positive denominator');
  if (numerator === denominator) return priceMinor;
  return roundMinor(new D(priceMinor.toString()).times(numerator).dividedBy(denominator));
}

export interface FeeSplit {
  fee: MinorAmount;
  providerShare: MinorAmount;
}

/**
 * DESIGN §5: `fee = round_half_up(total × bps / 10000)`, `providerShare = total − fee`. The share is
 * a subtraction, so fee + share = total exactly; fee(−x) = −fee(x) (credit notes mirror invoices).
 */
export function splitFee(total: MinorAmount, bps: number): FeeSplit {
  if (!Number.isInteger(bps) || bps < 0 || bps > BPS_DENOMINATOR)
    throw new Error(`fee bps must be a whole number in 0..${BPS_DENOMINATOR}, got ${bps}`);
  const fee = roundMinor(new D(total.toString()).times(bps).dividedBy(BPS_DENOMINATOR));
  return { fee, providerShare: total - fee };
}

/** Minor units → a decimal string in the major unit (1999, 2 → "19.99"; JPY 1000, 0 → "1000"; −5, 2 → "-0.05"). */
export function formatMinor(amount: MinorAmount, minorDigits: number): string {
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(minorDigits + 1, '0');
  const whole = minorDigits === 0 ? digits : digits.slice(0, -minorDigits);
  const fraction = minorDigits === 0 ? '' : `.${digits.slice(-minorDigits)}`;
  return `${negative ? '-' : ''}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction}`;
}

/** An exact decimal string without trailing zeros (`numeric(20,10)` "2.5000000000" → "2.5"). */
export function canonicalDecimal(value: string): string {
  return new D(value).toFixed();
}
