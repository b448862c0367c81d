import fc from 'fast-check';
import {
  LATENCY_BUCKET_BOUNDS_MS,
  LATENCY_BUCKET_COUNT,
  addHistograms,
  emptyHistogram,
  latencyBucket,
  latencyPercentiles,
  latencyQuantile,
  recordLatency,
} from './latency-histogram';

function histogramOf(latencies: number[]): number[] {
  const histogram = emptyHistogram();
  for (const ms of latencies) recordLatency(histogram, ms);
  return histogram;
}

describe('latency histogram', () => {
  it('has about twenty log-spaced buckets plus an overflow bucket', () => {
    expect(LATENCY_BUCKET_COUNT).toBe(24);
    for (let i = 1; i < LATENCY_BUCKET_BOUNDS_MS.length; i++) {
      const ratio = LATENCY_BUCKET_BOUNDS_MS[i] / LATENCY_BUCKET_BOUNDS_MS[i - 1];
      expect(ratio).toBeGreaterThan(1.3);
      expect(ratio).toBeLessThanOrEqual(2);
    }
  });

  it('puts a latency in the first bucket whose upper bound holds it; above the last bound in the overflow', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(1)).toBe(0);
    expect(latencyBucket(1.01)).toBe(1);
    expect(latencyBucket(2)).toBe(1);
    expect(latencyBucket(10)).toBe(5);
    expect(latencyBucket(11)).toBe(6);
    expect(latencyBucket(30_000)).toBe(22);
    expect(latencyBucket(30_001)).toBe(23);
    expect(latencyBucket(1e9)).toBe(23);
  });

  it('has no percentile when nothing was counted', () => {
    expect(latencyPercentiles(emptyHistogram())).toEqual({ p50: null, p95: null, p99: null });
    expect(latencyPercentiles([])).toEqual({ p50: null, p95: null, p99: null });
  });

  it('interpolates inside the bucket holding the rank', () => {
    // 90 calls at 10 ms (bucket 7–10), 9 at 200 ms (150–250), 1 at 5 s (4000–6000)
    const histogram = histogramOf([...Array(90).fill(10), ...Array(9).fill(200), 5_000]);
    expect(latencyPercentiles(histogram)).toEqual({ p50: 8.7, p95: 205.6, p99: 250 });
    expect(latencyQuantile(histogram, 1)).toBe(6_000);
  });

  it('reports the last bound for a quantile in the overflow bucket', () => {
    expect(latencyQuantile(histogramOf([45_000, 90_000]), 0.5)).toBe(30_000);
  });

  it('rejects quantiles outside (0, 1]', () => {
    expect(() => latencyQuantile(histogramOf([1]), 0)).toThrow(RangeError);
    expect(() => latencyQuantile(histogramOf([1]), 1.5)).toThrow(RangeError);
  });

  it('adds element-wise, treating missing arrays and entries as zeros (bigint sums arrive as strings)', () => {
    const a = histogramOf([1, 10, 10]);
    const b = histogramOf([10, 50_000]);
    const sum = addHistograms(a, null, b, undefined, [1]);
    expect(sum[0]).toBe(2);
    expect(sum[5]).toBe(3);
    expect(sum[23]).toBe(1);
    expect(sum.reduce((x, y) => x + y, 0)).toBe(6);
    expect(addHistograms(['3', '4'] as unknown as number[]).slice(0, 3)).toEqual([3, 4, 0]);
  });

  it('gives the same percentiles from summed per-minute histograms as from all calls at once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: 0, max: 60_000, noNaN: true }), { maxLength: 50 }), {
          minLength: 1,
          maxLength: 10,
        }),
        (minutes) => {
          const summed = addHistograms(...minutes.map(histogramOf));
          const whole = histogramOf(minutes.flat());
          expect(summed).toEqual(whole);
          expect(latencyPercentiles(summed)).toEqual(latencyPercentiles(whole));
        },
      ),
    );
  });

  it('keeps every percentile within its true value’s bucket', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 29_000 }), { minLength: 1, maxLength: 300 }),
        (latencies) => {
          const sorted = [...latencies].sort((x, y) => x - y);
          const histogram = histogramOf(latencies);
          for (const q of [0.5, 0.95, 0.99]) {
            const truth = sorted[Math.ceil(q * sorted.length) - 1];
            const estimate = latencyQuantile(histogram, q)!;
            const bucket = latencyBucket(truth);
            const lower = bucket === 0 ? 0 : LATENCY_BUCKET_BOUNDS_MS[bucket - 1];
            expect(estimate).toBeGreaterThanOrEqual(lower);
            expect(estimate).toBeLessThanOrEqual(LATENCY_BUCKET_BOUNDS_MS[bucket]);
          }
        },
      ),
    );
  });
});
