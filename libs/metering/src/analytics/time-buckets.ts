import { validationFailed } from '@app/common';
import type { Granularity } from './usage-query';

/** The most points one series may have (a chart's width; also bounds the work of one query). */
export const MAX_SERIES_POINTS = 1_500;

const STEP_MS: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

export function stepMs(granularity: Granularity): number {
  return STEP_MS[granularity];
}

export interface BucketRange {
  /** `from` floored to the granularity (UTC). */
  from: Date;
  /** `to` ceiled to the granularity (exclusive). */
  to: Date;
  granularity: Granularity;
  points: number;
}

const floor = (ms: number, step: number): number => Math.floor(ms / step) * step;
const ceil = (ms: number, step: number): number => Math.ceil(ms / step) * step;

/**
 * Checks a requested range and aligns it to whole buckets: `from < to`, and at most
 * MAX_SERIES_POINTS buckets, else 400 `validation_failed` naming the coarser granularity to use.
 */
export function bucketRange(from: Date, to: Date, granularity: Granularity): BucketRange {
  if (!(from.getTime() < to.getTime()))
    throw validationFailed('from', 'must be before to (the range is [from, to))');
  const step = STEP_MS[granularity];
  const start = floor(from.getTime(), step);
  const end = ceil(to.getTime(), step);
  const points = (end - start) / step;
  if (points > MAX_SERIES_POINTS) {
    const coarser = (['hour', 'day'] as Granularity[]).find(
      (g) =>
        STEP_MS[g] > step &&
        (ceil(to.getTime(), STEP_MS[g]) - floor(from.getTime(), STEP_MS[g])) / STEP_MS[g] <= MAX_SERIES_POINTS,
    );
    throw validationFailed(
      'granularity',
      `${granularity} buckets over this range make ${points} points; at most ${MAX_SERIES_POINTS} are allowed: ` +
        (coarser ? `use granularity=${coarser}, or narrow from/to` : 'narrow from/to'),
    );
  }
  return { from: new Date(start), to: new Date(end), granularity, points };
}

/** Every bucket start of the range, in order. */
export function bucketStarts(range: BucketRange): Date[] {
  const step = STEP_MS[range.granularity];
  const out: Date[] = [];
  for (let t = range.from.getTime(); t < range.to.getTime(); t += step) out.push(new Date(t));
  return out;
}
