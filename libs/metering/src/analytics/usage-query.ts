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

/**
 * The WHERE clause of a query over `usage_minute_rollups`: the scope, the time range
 * `[from, to)` on `minute` (so the composite `(…, minute)` indexes apply) and equality filters,
 * each value a parameter.
 */
export class RollupWhere {
  private readonly clauses: string[] = [];

  constructor(
    readonly params: SqlParams,
    scope: UsageScope,
    from: Date,
    to: Date,
  ) {
    if (scope.kind === 'consumer')
      this.clauses.push(`consumer_account_id = ${params.add(scope.consumerAccountId, 'uuid')}`);
    else if (scope.kind === 'provider') this.clauses.push(`api_id = ANY(${params.add(scope.apiIds, 'uuid[]')})`);
    this.clauses.push(`minute >= ${params.add(from.toISOString(), 'timestamptz')}`);
    this.clauses.push(`minute < ${params.add(to.toISOString(), 'timestamptz')}`);
  }

  equals(filters: UsageFilters): this {
    for (const [dimension, value] of Object.entries(filters) as [UsageDimension, string | number | undefined][]) {
      if (value === undefined) continue;
      const column = USAGE_DIMENSIONS[dimension];
      this.clauses.push(
        `${column} = ${this.params.add(value, dimension === 'statusClass' ? 'smallint' : 'uuid')}`,
      );
    }
    return this;
  }

  /** Leaves out rows with no value in `dimension` (the nil UUID, e.g. calls rejected before a subscription). */
  present(dimension: Exclude<UsageDimension, 'statusClass'>): this {
    this.clauses.push(`${USAGE_DIMENSIONS[dimension]} <> '${NO_ID}'::uuid`);
    return this;
  }

  toSql(): string {
    return this.clauses.join(' AND ');
  }
}

/** The measures every analytics read sums (histograms element-wise by the migration's aggregate). */
export const USAGE_MEASURES_SQL = `sum(calls)::bigint AS calls, sum(errors)::bigint AS errors,
  sum(bytes_in)::bigint AS bytes_in, sum(bytes_out)::bigint AS bytes_out,
  sum(billable_units)::bigint AS billable_units, sum(overage_units)::bigint AS overage_units,
  metering_histogram_sum(latency_histogram) AS histogram`;

export interface MeasureRow {
  calls: string;
  errors: string;
  bytes_in: string;
  bytes_out: string;
  billable_units: string;
  overage_units: string;
  histogram: string[] | null;
}
