/**
 * Quota/billing periods, pure UTC arithmetic (no time zones, so no DST).
 *
 * Monthly periods are anchored to the subscription's start: period k starts on the anchor's day of
 * month k months later (clamped to that month's last day) at the anchor's UTC time of day. Every
 * boundary is computed from the anchor, never from the previous boundary, so a Jan 31 start gives
 * Feb 28 (29 in leap years) and then Mar 31 again. Daily periods are the UTC calendar day.
 */
export type PeriodKind = 'month' | 'day';

export interface Period {
  start: Date;
  /** Exclusive. */
  end: Date;
}

const DAY_MS = 86_400_000;

function daysInMonth(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
}

/** The anchor moved by `months` calendar months, its day clamped to the target month's length. */
export function addMonthsClamped(anchor: Date, months: number): Date {
  const total = anchor.getUTCFullYear() * 12 + anchor.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12;
  const day = Math.min(anchor.getUTCDate(), daysInMonth(year, month));
  const result = new Date(
    Date.UTC(
      year,
      month,
      day,
      anchor.getUTCHours(),
      anchor.getUTCMinutes(),
      anchor.getUTCSeconds(),
      anchor.getUTCMilliseconds(),
    ),
  );
  // Date.UTC maps years 0–99 to 1900–1999
  if (year >= 0 && year < 100) result.setUTCFullYear(year);
  return result;
}

/** The monthly period (anchored at `anchor`) containing `at`; before the anchor: the first period. */
export function monthlyPeriodAt(anchor: Date, at: Date): Period {
  if (at.getTime() < anchor.getTime()) return { start: anchor, end: addMonthsClamped(anchor, 1) };
  let k = (at.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (at.getUTCMonth() - anchor.getUTCMonth());
  // the month difference overshoots by at most one (day/time of month not reached yet)
  while (k > 0 && addMonthsClamped(anchor, k).getTime() > at.getTime()) k -= 1;
  while (addMonthsClamped(anchor, k + 1).getTime() <= at.getTime()) k += 1;
  return { start: addMonthsClamped(anchor, k), end: addMonthsClamped(anchor, k + 1) };
}

/** The UTC calendar day containing `at`. */
export function dailyPeriodAt(at: Date): Period {
  const start = Math.floor(at.getTime() / DAY_MS) * DAY_MS;
  return { start: new Date(start), end: new Date(start + DAY_MS) };
}

export function periodAt(kind: PeriodKind, anchor: Date, at: Date): Period {
  return kind === 'day' ? dailyPeriodAt(at) : monthlyPeriodAt(anchor, at);
}

/** `at` plus whole days (trial ends). */
export function addDays(at: Date, days: number): Date {
  return new Date(at.getTime() + days * DAY_MS);
}
