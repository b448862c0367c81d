/**
 * The fixed log-bucket latency histogram stored in every rollup row (`latency_histogram int[]`).
 *
 * Bucket i counts calls with `LATENCY_BUCKET_BOUNDS_MS[i - 1] < latency ≤ LATENCY_BUCKET_BOUNDS_MS[i]`
 * (bucket 0 from 0 ms); the last bucket counts everything above the last bound. Successive bounds
 * grow by about ×1.5–1.7, so a percentile read from the buckets is within about ±25 % of the
 * true value. Histograms of any rows add element-wise, which is how minute rows become hours, days,
 * or an API's month — percentiles are never averaged.
 *
 * Changing the bounds changes the meaning of every stored row: add a new column instead.
 */
export const LATENCY_BUCKET_BOUNDS_MS: readonly number[] = [
  1, 2, 3, 5, 7, 10, 15, 25, 40, 60, 100, 150, 250, 400, 600, 1_000, 1_500, 2_500, 4_000, 6_000, 10_000,
  15_000, 30_000,
];

/** Bounds + the overflow bucket. */
export const LATENCY_BUCKET_COUNT = LATENCY_BUCKET_BOUNDS_MS.length + 1;

export type LatencyHistogram = number[];

/**
 * SQL summing the `latency_histogram` of the rows grouped, bucket by bucket (`bigint[]`): one plain
 * `sum` per bucket, several times cheaper per row than an array aggregate.
 */
export const HISTOGRAM_SUM_SQL = `ARRAY[${Array.from(
  { length: LATENCY_BUCKET_COUNT },
  (_, i) => `coalesce(sum(latency_histogram[${i + 1}]), 0)`,
).join(', ')}]::bigint[]`;

export function emptyHistogram(): LatencyHistogram {
  return new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
}

/** The bucket a latency falls in (binary search over the bounds). */
export function latencyBucket(latencyMs: number): number {
  let low = 0;
  let high = LATENCY_BUCKET_BOUNDS_MS.length; // overflow bucket
  while (low < high) {
    const mid = (low + high) >> 1;
    if (latencyMs <= LATENCY_BUCKET_BOUNDS_MS[mid]) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Adds one call to `histogram` in place. */
export function recordLatency(histogram: LatencyHistogram, latencyMs: number): void {
  histogram[latencyBucket(latencyMs)] += 1;
}

/** Element-wise sum; a shorter or missing array counts as zeros. */
export function addHistograms(
  ...histograms: readonly (readonly number[] | null | undefined)[]
): LatencyHistogram {
  const sum = emptyHistogram();
  for (const histogram of histograms) {
    if (!histogram) continue;
    for (let i = 0; i < LATENCY_BUCKET_COUNT; i++) sum[i] += Number(histogram[i] ?? 0);
  }
  return sum;
}

/**
 * The q-quantile (0 < q ≤ 1) of the calls counted in `histogram`, or null when it is empty.
 * Finds the bucket holding the call of rank ⌈q·n⌉ and interpolates linearly inside it (as
 * Prometheus' histogram_quantile does); the overflow bucket has no upper bound, so a quantile
 * falling there reports the last bound.
 */
export function latencyQuantile(histogram: readonly number[], q: number): number | null {
  if (!(q > 0 && q <= 1)) throw new RangeError(`quantile must be in (0, 1], got ${q}`);
  const counts = Array.from({ length: LATENCY_BUCKET_COUNT }, (_, i) => Number(histogram[i] ?? 0));
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let before = 0;
  for (let i = 0; i < LATENCY_BUCKET_COUNT; i++) {
    const count = counts[i];
    if (count > 0 && before + count >= rank) {
      if (i === LATENCY_BUCKET_BOUNDS_MS.length) return LATENCY_BUCKET_BOUNDS_MS[i - 1];
      const lower = i === 0 ? 0 : LATENCY_BUCKET_BOUNDS_MS[i - 1];
      const upper = LATENCY_BUCKET_BOUNDS_MS[i];
      return round1(lower + ((upper - lower) * (rank - before)) / count);
    }
    before += count;
  }
  return LATENCY_BUCKET_BOUNDS_MS[LATENCY_BUCKET_BOUNDS_MS.length - 1];
}

export interface LatencyPercentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** p50/p95/p99 of a (summed) histogram. */
export function latencyPercentiles(histogram: readonly number[]): LatencyPercentiles {
  return {
    p50: latencyQuantile(histogram, 0.5),
    p95: latencyQuantile(histogram, 0.95),
    p99: latencyQuantile(histogram, 0.99),
  };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
