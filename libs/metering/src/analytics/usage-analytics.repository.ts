import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NO_ID } from '../usage-aggregation';
import type { PeriodQuery } from '../usage.repository';
import {
  RollupWhere,
  SqlParams,
  USAGE_DIMENSIONS,
  USAGE_MEASURE_COLUMNS,
  USAGE_MEASURES_SQL,
  type Granularity,
  type MeasureRow,
  type UsageDimension,
  type UsageFilters,
  type UsageScope,
} from './usage-query';

export type SeriesRow = MeasureRow & { bucket: Date } & Record<string, unknown>;
export type BreakdownRow = MeasureRow & Record<string, unknown>;

export interface PeriodTotalsRow {
  ord: number;
  calls: string | null;
  billable_units: string | null;
  overage_units: string | null;
}

export interface PlatformDayRow {
  day: Date;
  calls: string;
  errors: string;
  billable_units: string;
  subscriptions: string;
  consumers: string;
  api_ids: string[] | null;
}

/** Filters of the request log (equality; `status` exact or a class). */
export interface RequestLogFilter {
  apiId?: string;
  applicationId?: string;
  keyId?: string;
  status?: number;
  statusClass?: number;
  from?: Date;
  to?: Date;
}

export interface RequestLogCursor {
  at: Date;
  requestId: string;
}

export interface RequestLogRow {
  request_id: string;
  at: Date;
  application_id: string;
  key_id: string;
  key_prefix: string;
  api_id: string | null;
  subscription_id: string | null;
  endpoint_id: string | null;
  method: string;
  status: number;
  latency_ms: number;
  bytes_in: string;
  bytes_out: string;
  mode: 'live' | 'test';
  billable_units: number;
  generated: boolean;
  error_code: string | null;
}

/**
 * Analytics reads over the rollup tables and `usage_requests`. Every statement is composed from
 * fixed SQL and `$n` parameters (RollupWhere); every one takes a scope (consumer, provider's API
 * ids, or platform), so an unscoped read does not type-check. A range is read from the coarsest
 * rollups that fit it (`RollupWhere.source`: whole days from the folded day rows, edge hours from
 * the folded hour rows, plus the deltas not folded yet, edge minutes from the minute rows; exact
 * sums of one another), so a 30-day read sums thousands of day rows instead of millions of minute
 * rows (bench:analytics).
 */
@Injectable()
export class UsageAnalyticsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * One rollup read, in a transaction that turns off JIT and parallel workers for it: these reads
   * sum thousands to ~100,000 rows, and compiling their 24-bucket histogram sums (80–130 ms) or
   * starting parallel workers (~15 ms) cost more than they save (bench:analytics, EXPLAIN ANALYZE:
   * a provider's 30-day per-endpoint totals 151 → 74 ms without JIT, per-API 26 → 8 ms serial).
   */
  private aggregate<T>(sql: string, params: unknown[]): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SET LOCAL jit = off');
      await manager.query('SET LOCAL max_parallel_workers_per_gather = 0');
      return manager.query<T>(sql, params);
    });
  }

  async series(
    scope: UsageScope,
    from: Date,
    to: Date,
    granularity: Granularity,
    filters: UsageFilters,
    groupBy: readonly UsageDimension[],
  ): Promise<SeriesRow[]> {
    const params = new SqlParams();
    const where = new RollupWhere(params, scope).equals(filters);
    const groupCols = groupBy.map((d) => USAGE_DIMENSIONS[d]);
    // a bucket is never finer than the rows it sums: hour buckets read hours and minutes, never days
    const source = where.source(from, to, granularity, [...new Set(groupCols), ...USAGE_MEASURE_COLUMNS]);
    const unit = params.add(granularity, 'text');
    const groups = groupBy.map((d) => `${USAGE_DIMENSIONS[d]} AS "${d}"`);
    return this.aggregate<SeriesRow[]>(
      `SELECT date_trunc(${unit}, at, 'UTC') AS bucket${groups.map((g) => `, ${g}`).join('')},
         ${USAGE_MEASURES_SQL}
       FROM ${source}
       GROUP BY ${['1', ...groupCols].join(', ')}
       HAVING sum(calls) <> 0
       ORDER BY ${[...groupCols, '1'].join(', ')}`,
      params.values,
    );
  }

  /** Totals per combination of `dimensions`, most calls first. */
  async breakdown(
    scope: UsageScope,
    from: Date,
    to: Date,
    dimensions: readonly UsageDimension[],
    filters: UsageFilters,
    limit: number,
  ): Promise<BreakdownRow[]> {
    const params = new SqlParams();
    const where = new RollupWhere(params, scope).equals(filters);
    const columns = dimensions.map((d) => USAGE_DIMENSIONS[d]);
    const source = where.source(from, to, 'day', [...new Set(columns), ...USAGE_MEASURE_COLUMNS]);
    // no dimension: one row of totals (an aggregate without GROUP BY answers a row even when nothing matched)
    const select = [...dimensions.map((d) => `${USAGE_DIMENSIONS[d]} AS "${d}"`), USAGE_MEASURES_SQL].join(', ');
    // a group whose calls were all deleted from the minute rows (a correction) may still sum to zero until the next fold
    const grouping =
      columns.length === 0
        ? ''
        : `GROUP BY ${columns.join(', ')} HAVING sum(calls) <> 0 ORDER BY sum(calls) DESC, ${columns.join(', ')}`;
    return this.aggregate<BreakdownRow[]>(
      `SELECT ${select}
       FROM ${source}
       ${grouping}
       LIMIT ${params.add(limit, 'int')}`,
      params.values,
    );
  }

  /**
   * Platform totals per UTC day, with the distinct subscriptions, consumers and APIs that made
   * calls: summed per (day, subscription, consumer, API) first — a subscription has one consumer and
   * one API, so the outer count of its groups is the distinct count, over far fewer rows.
   */
  platformDays(from: Date, to: Date): Promise<PlatformDayRow[]> {
    const params = new SqlParams();
    const source = new RollupWhere(params, { kind: 'platform' }).source(from, to, 'day', [
      'subscription_id',
      'consumer_account_id',
      'api_id',
      'calls',
      'errors',
      'billable_units',
    ], false);
    return this.aggregate<PlatformDayRow[]>(
      `SELECT day, sum(calls)::bigint AS calls, sum(errors)::bigint AS errors, sum(billable_units)::bigint AS billable_units,
         count(*) FILTER (WHERE subscription_id <> '${NO_ID}'::uuid) AS subscriptions,
         count(DISTINCT consumer_account_id) AS consumers,
         array_agg(DISTINCT api_id) FILTER (WHERE api_id <> '${NO_ID}'::uuid) AS api_ids
       FROM (
         SELECT date_trunc('day', at, 'UTC') AS day, subscription_id, consumer_account_id, api_id,
           sum(calls) AS calls, sum(errors) AS errors, sum(billable_units) AS billable_units
         FROM ${source}
         GROUP BY 1, 2, 3, 4
       ) per_subscription
       GROUP BY 1
       ORDER BY 1`,
      params.values,
    );
  }

  /**
   * Calls, billable and overage units of each subscription in its period `[start, end)` (only
   * those `scope` may see: `platform` for billing), in the order asked: the minutes whose first
   * instant lies in the period, read from the coarsest rollups that fit it (whole days, edge hours,
   * edge minutes, plus the deltas not folded yet). `MeteringService.usageForPeriods` (what billing
   * rates) and the consumer's current periods both read this.
   */
  async periodTotals(scope: UsageScope, periods: readonly PeriodQuery[]): Promise<PeriodTotalsRow[]> {
    if (periods.length === 0) return [];
    const params = new SqlParams();
    const sources = periods.map((p, i) => {
      const where = new RollupWhere(params, scope).equals({ subscription: p.subscriptionId });
      return `SELECT ${i} AS ord, sum(calls)::bigint AS calls, sum(billable_units)::bigint AS billable_units,
           sum(overage_units)::bigint AS overage_units
         FROM ${where.source(p.start, p.end, 'day', ['calls', 'billable_units', 'overage_units'], false)}`;
    });
    const rows = await this.aggregate<PeriodTotalsRow[]>(`${sources.join('\n       UNION ALL ')} ORDER BY ord`, params.values);
    return rows;
  }

  /** One page of a consumer's request log, newest first, after `cursor` (keyset on (at, request_id)). */
  requests(
    consumerAccountId: string,
    filter: RequestLogFilter,
    cursor: RequestLogCursor | null,
    limit: number,
  ): Promise<RequestLogRow[]> {
    const params = new SqlParams();
    const clauses = [`consumer_account_id = ${params.add(consumerAccountId, 'uuid')}`];
    if (filter.apiId) clauses.push(`api_id = ${params.add(filter.apiId, 'uuid')}`);
    if (filter.applicationId) clauses.push(`application_id = ${params.add(filter.applicationId, 'uuid')}`);
    if (filter.keyId) clauses.push(`key_id = ${params.add(filter.keyId, 'uuid')}`);
    if (filter.status !== undefined) clauses.push(`status = ${params.add(filter.status, 'smallint')}`);
    if (filter.statusClass !== undefined) {
      const low = params.add(filter.statusClass * 100, 'smallint');
      clauses.push(`status >= ${low} AND status < ${low} + 100`);
    }
    if (filter.from) clauses.push(`at >= ${params.add(filter.from.toISOString(), 'timestamptz')}`);
    if (filter.to) clauses.push(`at < ${params.add(filter.to.toISOString(), 'timestamptz')}`);
    if (cursor)
      clauses.push(
        `(at, request_id) < (${params.add(cursor.at.toISOString(), 'timestamptz')}, ${params.add(cursor.requestId, 'uuid')})`,
      );
    return this.dataSource.query<RequestLogRow[]>(
      `SELECT request_id, at, application_id, key_id, key_prefix, api_id, subscription_id, endpoint_id, method,
         status, latency_ms, bytes_in, bytes_out, mode, billable_units, generated, error_code
       FROM usage_requests
       WHERE ${clauses.join(' AND ')}
       ORDER BY at DESC, request_id DESC
       LIMIT ${params.add(limit, 'int')}`,
      params.values,
    );
  }
}
