import { bucketRange, bucketStarts, MAX_SERIES_POINTS } from './time-buckets';

describe('bucketRange', () => {
  it('aligns the range outward to whole UTC buckets', () => {
    const range = bucketRange(new Date('2026-03-01T10:17:30Z'), new Date('2026-03-01T12:00:01Z'), 'hour');
    expect(range.from.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(range.to.toISOString()).toBe('2026-03-01T13:00:00.000Z');
    expect(range.points).toBe(3);
    expect(bucketStarts(range).map((d) => d.getUTCHours())).toEqual([10, 11, 12]);
  });

  it('rejects an empty or reversed range', () => {
    const at = new Date('2026-03-01T00:00:00Z');
    expect(() => bucketRange(at, at, 'minute')).toThrow(/from: must be before to/);
  });

  it(`allows ${MAX_SERIES_POINTS} points and names the granularity to use beyond`, () => {
    const from = new Date('2026-03-01T00:00:00Z');
    expect(bucketRange(from, new Date(from.getTime() + MAX_SERIES_POINTS * 60_000), 'minute').points).toBe(MAX_SERIES_POINTS);
    expect(() => bucketRange(from, new Date(from.getTime() + 30 * 86_400_000), 'minute')).toThrow(/use granularity=hour/);
    expect(() => bucketRange(from, new Date(from.getTime() + 90 * 86_400_000), 'hour')).toThrow(/use granularity=day/);
    expect(() => bucketRange(from, new Date(from.getTime() + 5 * 365 * 86_400_000), 'day')).toThrow(/narrow from\/to/);
  });
});
