import { HISTOGRAM_SUM_SQL } from '../latency-histogram';
import { ROLLUP_KEY_COLUMNS, cuboidFor, foldedTable } from '../rollups/rollup-cuboids';
import { NO_ID } from '../usage-aggregation';

/**
 * Positional parameters of one SQL statement: every value a caller sends reaches PostgreSQL as a
 * `$n` parameter, never inside the SQL text. Only identifiers from the fixed maps below are
 * written into the text.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  /** Adds a value; answers its placeholder (`$3`), cast when given. */
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return cast ? `$${this.values.length}::${cast}` : `$${this.values.length}`;
  }
}

/** Dimensions usage can be filtered and grouped by, and their rollup columns (the only identifiers written into SQL). */
export const USAGE_DIMENSIONS = {
  api: 'api_id',
  app: 'application_id',
  key: 'key_id',
  endpoint: 'endpoint_id',
  statusClass: 'status_class',
  subscription: 'subscription_id',
  plan: 'plan_id',
  consumer: 'consumer_account_id',
} as const;

export type UsageDimension = keyof typeof USAGE_DIMENSIONS;

/** What a consumer may group its usage by. */
export const CONSUMER_GROUP_BY = ['api', 'app', 'key', 'endpoint', 'statusClass'] as const;
export type ConsumerGroupBy = (typeof CONSUMER_GROUP_BY)[number];

export type Granularity = 'minute' | 'hour' | 'day';
export const GRANULARITIES: readonly Granularity[] = ['minute', 'hour', 'day'];

/** Equality filters on rollup dimensions; status classes are 1 … 5. */
export type UsageFilters = Partial<Record<UsageDimension, string | number>>;

/** Whose rows a query may read: exactly one scope, required by every analytics read. */
export type UsageScope =
  | { kind: 'consumer'; consumerAccountId: string }
  | { kind: 'provider'; apiIds: readonly string[] }
  | { kind: 'platform' };

/** The rollup time units, finest first: minute rows, then the folded hour and day tables (rollup-cuboids.ts). */
export type RollupTier = 'minute' | 'hour' | 'day';

const TIERS: readonly RollupTier[] = ['minute', 'hour', 'day'];
/** Changes to the minute rows not folded into the hour and day tables yet (RollupFoldService). */
const ROLLUP_DELTAS = 'usage_rollup_deltas';
const TIER_MS: Readonly<Record<RollupTier, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** A time range `[from, to)` read from one rollup table (on its time column, named like the tier). */
export interface RollupSegment {
  tier: RollupTier;
  from: Date;
  to: Date;
}

/**
 * `[from, to)` cut into the fewest rollup rows: whole UTC days from the day table, whole hours at
 * the edges from the hour table, the rest from the minute table (whose rows count when their minute
 * starts in the range, as everywhere). `coarsest` bounds the tiers: a series read per hour cannot
 * use days. The hour and day tables plus the pending deltas are exact sums of the minute rows
 * (migration `usage-hour-day-rollups`), so every cut gives the same totals.
 */
export function rollupSegments(from: Date, to: Date, coarsest: RollupTier): RollupSegment[] {
  const cut = (lo: number, hi: number, tiers: readonly RollupTier[]): RollupSegment[] => {
    if (!(lo < hi)) return [];
    const [tier, ...finer] = tiers;
    if (finer.length === 0) return [{ tier, from: new Date(lo), to: new Date(hi) }];
    const step = TIER_MS[tier];
    const start = Math.ceil(lo / step) * step;
    const end = Math.floor(hi / step) * step;
    if (!(start < end)) return cut(lo, hi, finer);
    return [
      ...cut(lo, start, finer),
      { tier, from: new Date(start), to: new Date(end) },
      ...cut(end, hi, finer),
    ];
  };
  return cut(from.getTime(), to.getTime(), TIERS.slice(0, TIERS.indexOf(coarsest) + 1).reverse());
}

/**
 * The WHERE clause of a query over the rollup tables: the scope and equality filters, each value a
 * parameter. `source` adds the time range of each segment on its table's time column, so the
 * composite `(…, minute|hour|day)` indexes apply.
 */
export class RollupWhere {
  private readonly clauses: string[] = [];
  /** Rollup columns the clauses read: a folded table must have them. */
  private readonly columns = new Set<string>();

  constructor(
    readonly params: SqlParams,
    scope: UsageScope,
  ) {
    if (scope.kind === 'consumer') {
      this.clauses.push(`consumer_account_id = ${params.add(scope.consumerAccountId, 'uuid')}`);
      this.columns.add('consumer_account_id');
    } else if (scope.kind === 'provider') {
      this.clauses.push(`api_id = ANY(${params.add(scope.apiIds, 'uuid[]')})`);
      this.columns.add('api_id');
    }
  }

  equals(filters: UsageFilters): this {
    for (const [dimension, value] of Object.entries(filters) as [
      UsageDimension,
      string | number | undefined,
    ][]) {
      if (value === undefined) continue;
      const column = USAGE_DIMENSIONS[dimension];
      this.columns.add(column);
      this.clauses.push(
        `${column} = ${this.params.add(value, dimension === 'statusClass' ? 'smallint' : 'uuid')}`,
      );
    }
    return this;
  }

  /** Leaves out rows with no value in `dimension` (the nil UUID, e.g. calls rejected before a subscription). */
  present(dimension: Exclude<UsageDimension, 'statusClass'>): this {
    this.clauses.push(`${USAGE_DIMENSIONS[dimension]} <> '${NO_ID}'::uuid`);
    this.columns.add(USAGE_DIMENSIONS[dimension]);
    return this;
  }

  /**
   * A subquery of the rows in `[from, to)` matching the clauses, read tier by tier
   * (rollupSegments, up to `coarsest`) plus, for the hour and day ranges, the deltas not folded
   * yet, UNION ALL (exact in one statement's snapshot): its columns are `at` (the row's minute, hour or
   * day), `columns` (rollup columns: dimensions or measures) and, unless `histogram` is false,
   * `latency_histogram`. Callers aggregate over it.
   */
  source(from: Date, to: Date, coarsest: RollupTier, columns: readonly string[], histogram = true): string {
    const segments = rollupSegments(from, to, coarsest);
    if (segments.length === 0) segments.push({ tier: 'minute', from, to });
    const folded = segments.filter((s) => s.tier !== 'minute');
    // minute histograms are int[], folded ones bigint[]: one type for the union
    const minuteHistogram =
      folded.length > 0 ? 'latency_histogram::bigint[] AS latency_histogram' : 'latency_histogram';
    const select = (at: string, table: string, histogramSql: string, range: string) =>
      `SELECT ${[`${at} AS at`, ...columns, ...(histogram ? [histogramSql] : [])].join(', ')} FROM ${table} WHERE ${[...this.clauses, range].join(' AND ')}`;
    const between = (column: string, lo: Date, hi: Date) =>
      `${column} >= ${this.params.add(lo.toISOString(), 'timestamptz')} AND ${column} < ${this.params.add(hi.toISOString(), 'timestamptz')}`;
    // each folded range from the smallest folded table holding every column read (rollup-cuboids.ts)
    const needed = [
      ...this.columns,
      ...columns.filter((c) => (ROLLUP_KEY_COLUMNS as readonly string[]).includes(c)),
    ];
    const table = (tier: RollupTier): string => {
      if (tier === 'minute') return 'usage_minute_rollups';
      const cuboid = cuboidFor(tier, needed);
      if (!cuboid) throw new Error(`no folded ${tier} table holds ${needed.join(', ')}`);
      return foldedTable(cuboid, tier);
    };
    const branches = segments.map(({ tier, from: lo, to: hi }) =>
      select(
        tier,
        table(tier),
        tier === 'minute' ? minuteHistogram : 'latency_histogram',
        between(tier, lo, hi),
      ),
    );
    if (folded.length > 0) {
      // the changes not folded yet into the hour and day rows read above (one statement: one snapshot)
      const ranges = folded.map((s) => `(${between('minute', s.from, s.to)})`);
      branches.push(select('minute', ROLLUP_DELTAS, minuteHistogram, `(${ranges.join(' OR ')})`));
    }
    return `(${branches.join('\n       UNION ALL ')}) AS r`;
  }
}

/** The measure columns `USAGE_MEASURES_SQL` sums (with `latency_histogram`). */
export const USAGE_MEASURE_COLUMNS = [
  'calls',
  'errors',
  'bytes_in',
  'bytes_out',
  'billable_units',
  'overage_units',
] as const;

/**
 * The measures every analytics read sums. Histograms add element-wise (`HISTOGRAM_SUM_SQL`: a
 * plain `sum` per bucket, several times cheaper per row than the `metering_histogram_sum`
 * aggregate); null when no row matched.
 */
export const USAGE_MEASURES_SQL = `sum(calls)::bigint AS calls, sum(errors)::bigint AS errors,
  sum(bytes_in)::bigint AS bytes_in, sum(bytes_out)::bigint AS bytes_out,
  sum(billable_units)::bigint AS billable_units, sum(overage_units)::bigint AS overage_units,
  CASE WHEN count(*) = 0 THEN NULL ELSE ${HISTOGRAM_SUM_SQL} END AS histogram`;

export interface MeasureRow {
  calls: string;
  errors: string;
  bytes_in: string;
  bytes_out: string;
  billable_units: string;
  overage_units: string;
  histogram: string[] | null;
}
