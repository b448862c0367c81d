/**
 * Money arrives as minor units in decimal strings (DESIGN §7: never floats on the wire); unit prices
 * may hold fractions of a minor unit ("0.05" cents per call). Shown with the currency's own exponent.
 */
export function formatMoney(
  minor: string | number,
  currency = 'USD',
  options: { perUnit?: boolean } = {},
): string {
  const digits =
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
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
