import { validationFailed } from '@app/common';
import type { ListingRating } from '@app/catalog';

/** Lengths are counted in characters after trimming (README "Text"). */
export const REVIEW_LIMITS = {
  titleMax: 120,
  bodyMax: 5000,
  replyMax: 5000,
  reportDetailsMax: 1000,
  perPageDefault: 10,
  perPageMax: 50,
  pageMax: 10_000,
  reportedPerPageDefault: 20,
  reportedPerPageMax: 100,
  /** Open reports shown per review in the admin queue. */
  reportsShown: 20,
} as const;

export const REPORT_REASONS = [
  'spam',
  'offensive',
  'off_topic',
  'conflict_of_interest',
  'misleading',
  'other',
] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

export type ReportResolution = 'hidden' | 'dismissed';

export const REVIEW_SORTS = ['newest', 'helpful', 'rating'] as const;
export type ReviewSort = (typeof REVIEW_SORTS)[number];

export const REPORTED_STATUSES = ['open', 'hidden'] as const;
export type ReportedStatus = (typeof REPORTED_STATUSES)[number];

// C0/C1 control characters other than tab and line feed, plus lone carriage returns after CRLF folding
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/**
 * Plain text as stored: CRLF/CR folded to LF, trimmed; at least one character and at most `max`;
 * no control characters but tab and newline. Nothing is escaped or stripped: the text is data,
 * and clients render it as text (the api never renders it as HTML).
 */
export function plainText(
  field: string,
  value: string,
  max: number,
  options: { singleLine?: boolean } = {},
): string {
  const text = value.replace(/\r\n?/g, '\n').trim();
  if (text.length === 0) throw validationFailed(field, 'must not be empty');
  if ([...text].length > max) throw validationFailed(field, `must be at most ${max} characters`);
  if (CONTROL.test(text))
    throw validationFailed(field, 'must not contain control characters (tab and newline are fine)');
  if (options.singleLine && text.includes('\n')) throw validationFailed(field, 'must be a single line');
  return text;
}

export function isRating(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 5;
}

/** Counts of visible reviews per star (index 0 = 1 star). */
export type StarCounts = [number, number, number, number, number];

/** The public shape of an aggregate row. */
export function ratingOf(counts: StarCounts): ListingRating {
  const count = counts.reduce((a, b) => a + b, 0);
  const sum = counts.reduce((acc, n, i) => acc + n * (i + 1), 0);
  return {
    average: count === 0 ? null : Math.round((sum / count) * 100) / 100,
    count,
    distribution: { '1': counts[0], '2': counts[1], '3': counts[2], '4': counts[3], '5': counts[4] },
  };
}
