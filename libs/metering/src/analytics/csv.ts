/**
 * RFC 4180 CSV: fields holding a comma, a quote, CR or LF are quoted with quotes doubled; lines end
 * with CRLF. A field starting with `=`, `+`, `-`, `@`, tab or CR is prefixed with `'` so a
 * spreadsheet does not run it as a formula (CSV injection) — numbers are written as they are.
 */
export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
