import {
  RollupWhere,
  SqlParams,
  USAGE_MEASURES_SQL,
  rollupSegments,
  type RollupSegment,
} from './usage-query';

const at = (iso: string) => new Date(iso);
const show = (segments: RollupSegment[]) =>
  segments.map((s) => `${s.tier} ${s.from.toISOString().slice(0, 16)}–${s.to.toISOString().slice(0, 16)}`);

describe('rollupSegments', () => {
  it('reads whole UTC days from the day rollups, edge hours from hours and edge minutes from minutes', () => {
    expect(show(rollupSegments(at('2026-03-01T22:17:30Z'), at('2026-03-04T01:30:00Z'), 'day'))).toEqual([
      'minute 2026-03-01T22:17–2026-03-01T23:00',
      'hour 2026-03-01T23:00–2026-03-02T00:00',
      'day 2026-03-02T00:00–2026-03-04T00:00',
      'hour 2026-03-04T00:00–2026-03-04T01:00',
      'minute 2026-03-04T01:00–2026-03-04T01:30',
    ]);
  });

  it('uses one table when the range is aligned to its unit', () => {
    expect(show(rollupSegments(at('2026-03-01T00:00:00Z'), at('2026-03-31T00:00:00Z'), 'day'))).toEqual([
      'day 2026-03-01T00:00–2026-03-31T00:00',
    ]);
    expect(show(rollupSegments(at('2026-03-01T10:00:00Z'), at('2026-03-03T10:00:00Z'), 'hour'))).toEqual([
      'hour 2026-03-01T10:00–2026-03-03T10:00',
    ]);
  });

  it('never reads a coarser table than asked (hour buckets cannot be cut from days)', () => {
    const segments = rollupSegments(at('2026-03-01T00:00:00Z'), at('2026-03-05T00:00:00Z'), 'hour');
    expect(segments.map((s) => s.tier)).toEqual(['hour']);
    expect(
      rollupSegments(at('2026-03-01T00:00:00Z'), at('2026-03-05T00:00:00Z'), 'minute').map((s) => s.tier),
    ).toEqual(['minute']);
  });

  it('falls back to finer tables when the range holds no whole unit, and covers [from, to) without gaps', () => {
    expect(show(rollupSegments(at('2026-03-01T10:05:00Z'), at('2026-03-01T10:50:00Z'), 'day'))).toEqual([
      'minute 2026-03-01T10:05–2026-03-01T10:50',
    ]);
    const from = at('2026-03-01T10:05:00Z');
    const to = at('2026-03-02T10:50:00Z');
    const segments = rollupSegments(from, to, 'day');
    expect(segments[0].from).toEqual(from);
    expect(segments[segments.length - 1].to).toEqual(to);
    for (let i = 1; i < segments.length; i++) expect(segments[i].from).toEqual(segments[i - 1].to);
  });

  it('answers nothing for an empty range', () => {
    expect(rollupSegments(at('2026-03-01T00:00:00Z'), at('2026-03-01T00:00:00Z'), 'day')).toEqual([]);
  });
});

describe('RollupWhere.source', () => {
  it('keeps every value a parameter, adds the pending deltas to folded ranges, and casts int[] histograms for the union', () => {
    const params = new SqlParams();
    const sql = new RollupWhere(params, { kind: 'consumer', consumerAccountId: "x'; DROP TABLE t; --" })
      .equals({ statusClass: 5 })
      .source(at('2026-03-01T23:30:00Z'), at('2026-03-03T00:00:00Z'), 'day', ['api_id', 'calls']);
    expect(sql).not.toContain('DROP TABLE');
    expect(sql).toContain(
      'FROM usage_minute_rollups WHERE consumer_account_id = $1::uuid AND status_class = $2::smallint AND minute >= $3::timestamptz',
    );
    expect(sql).toContain('latency_histogram::bigint[] AS latency_histogram FROM usage_minute_rollups');
    expect(sql).toContain(
      'SELECT day AS at, api_id, calls, latency_histogram FROM usage_folded_day_subscriptions',
    );
    expect(sql).toContain(
      'FROM usage_rollup_deltas WHERE consumer_account_id = $1::uuid AND status_class = $2::smallint AND ((minute >= $7::timestamptz AND minute < $8::timestamptz))',
    );
    expect(sql.match(/UNION ALL/g)).toHaveLength(2);
    expect(params.values).toEqual([
      "x'; DROP TABLE t; --",
      5,
      '2026-03-01T23:30:00.000Z',
      '2026-03-02T00:00:00.000Z',
      '2026-03-02T00:00:00.000Z',
      '2026-03-03T00:00:00.000Z',
      '2026-03-02T00:00:00.000Z',
      '2026-03-03T00:00:00.000Z',
    ]);
  });

  it('reads the smallest folded table holding every column filtered or grouped by', () => {
    const from = at('2026-03-01T00:00:00Z');
    const to = at('2026-03-31T00:00:00Z');
    const provider = () => new RollupWhere(new SqlParams(), { kind: 'provider', apiIds: ['a'] });
    const consumer = () => new RollupWhere(new SqlParams(), { kind: 'consumer', consumerAccountId: 'c' });
    expect(provider().source(from, to, 'day', ['plan_id', 'calls'])).toContain('FROM usage_folded_day_apis');
    expect(provider().source(from, to, 'day', ['endpoint_id', 'calls'])).toContain(
      'FROM usage_folded_day_endpoints',
    );
    expect(provider().source(from, to, 'hour', ['endpoint_id', 'calls'])).toContain(
      'FROM usage_folded_hour_endpoints',
    );
    expect(provider().source(from, to, 'hour', ['endpoint_id', 'subscription_id'])).toContain(
      'FROM usage_folded_hour_rollups',
    );
    expect(provider().source(from, to, 'day', ['subscription_id', 'consumer_account_id'])).toContain(
      'FROM usage_folded_day_subscriptions',
    );
    expect(consumer().source(from, to, 'hour', ['calls'])).toContain('FROM usage_folded_hour_subscriptions');
    expect(consumer().equals({ key: 'k' }).source(from, to, 'hour', ['calls'])).toContain(
      'FROM usage_folded_hour_rollups',
    );
    expect(consumer().source(from, to, 'minute', ['calls'])).not.toContain('usage_rollup_deltas');
  });

  it('sums histograms bucket by bucket, null when nothing matched', () => {
    expect(USAGE_MEASURES_SQL).toContain('coalesce(sum(latency_histogram[24]), 0)');
    expect(USAGE_MEASURES_SQL).not.toContain('latency_histogram[25]');
    expect(USAGE_MEASURES_SQL).toContain('CASE WHEN count(*) = 0 THEN NULL');
  });
});
