/**
 * Engines mark matches with these private-use sentinels instead of HTML tags; `toHighlightHtml`
 * escapes the text (listing names and descriptions are provider input) and only then turns the
 * sentinels into `<mark>` tags, so a highlight can never carry markup from a listing.
 */
export const MARK_START = '\uE000';
export const MARK_END = '\uE001';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

export function toHighlightHtml(marked: string): string {
  return escapeHtml(marked.replaceAll(MARK_START, '\u0002').replaceAll(MARK_END, '\u0003'))
    .replaceAll('\u0002', '<mark>')
    .replaceAll('\u0003', '</mark>');
}

/** Folds case and accents: "Café" → "cafe" (NFKD, combining marks dropped). */
export function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
}

/** Words of a query for prefix matching: letters and digits only, accents folded. */
export function words(text: string): string[] {
  return fold(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0)
    .slice(0, 8);
}

/** Wraps the first case/accent-insensitive occurrence of each word prefix in `text` with the sentinels. */
export function markPrefixes(text: string, prefixes: readonly string[]): string {
  const folded = fold(text);
  // NFKD can change lengths; only mark when folding kept positions aligned
  if (folded.length !== text.length) return text;
  const ranges: [number, number][] = [];
  for (const prefix of prefixes) {
    const re = new RegExp(`(^|[^\\p{L}\\p{N}])(${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})`, 'u');
    const match = re.exec(folded);
    if (match) ranges.push([match.index + match[1].length, match.index + match[1].length + match[2].length]);
  }
  ranges.sort((a, b) => b[0] - a[0]);
  let out = text;
  let last = Infinity;
  for (const [start, end] of ranges) {
    if (end > last) continue;
    out = out.slice(0, start) + MARK_START + out.slice(start, end) + MARK_END + out.slice(end);
    last = start;
  }
  return out;
}
