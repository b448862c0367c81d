/**
 * Money arrives as minor units in decimal strings (DESIGN §7: never floats on the wire); unit prices
 * may hold fractions of a minor unit ("0.05" cents per call). Shown with the currency's own exponent.
 */
export function formatMoney(
  minor: string | number,
  currency = 'USD',
  options: { perUnit?: boolean } = {},
): string {
  const digits = currencyDigits(currency);
  const major = Number(minor) / 10 ** digits;
  return new Intl.NumberFormat('en', {
    style: 'currency',
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: options.perUnit ? digits + 4 : digits,
  }).format(major);
}

export function formatCount(value: number): string {
  return new Intl.NumberFormat('en', {
    notation: value >= 100_000 ? 'compact' : 'standard',
    maximumFractionDigits: 1,
  }).format(value);
}

export function formatDate(iso: string | null | undefined): string {
  return iso
    ? new Date(iso).toLocaleDateString('en', { year: 'numeric', month: 'short', day: 'numeric' })
    : '—';
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction < 0.1 && fraction > 0 ? 1 : 0)} %`;
}

/**
 * Minor-unit digits per currency as the api counts them (GET /v1/currencies, ISO 4217), loaded once
 * before the app renders. Browsers' Intl disagrees for some (HUF, IDR, COP: 0 instead of 2; IQD 0
 * instead of 3), and an amount shown with the wrong exponent is off by a factor of 100.
 */
const minorUnits = new Map<string, number>();

export function setCurrencyTable(currencies: readonly { code: string; minorUnits: number }[]): void {
  for (const c of currencies) minorUnits.set(c.code, c.minorUnits);
}

/** The currencies plans may be priced in (empty until the table is loaded). */
export function supportedCurrencies(): string[] {
  return [...minorUnits.keys()];
}

/** Digits after the decimal point of a currency's amounts (USD 2, JPY 0, KWD 3): the api's, else Intl's. */
export function currencyDigits(currency: string): number {
  return (
    minorUnits.get(currency) ??
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
    2
  );
}

/**
 * Moves the decimal point of a non-negative decimal string by `places` (negative: to the left),
 * exactly: "19.99" × 10² → "1999", "10" × 10⁻³ → "0.01". Money typed by a person becomes minor units
 * without passing through a float. Answers null for anything but digits with at most one point.
 */
export function shiftDecimal(text: string, places: number): string | null {
  const match = /^(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!match || (match[1] === '' && !match[2])) return null;
  let digits = (match[1] || '0') + (match[2] ?? '');
  let point = (match[1] || '0').length + places;
  if (point < 1) {
    digits = '0'.repeat(1 - point) + digits;
    point = 1;
  }
  if (point > digits.length) digits += '0'.repeat(point - digits.length);
  const whole = digits.slice(0, point).replace(/^0+(?=\d)/, '');
  const fraction = digits.slice(point).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}
