import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NO_ID } from '../usage-aggregation';
import {
  RollupWhere,
  SqlParams,
  USAGE_DIMENSIONS,
  USAGE_MEASURES_SQL,
  type Granularity,
  type MeasureRow,
  type UsageDimension,
  type UsageFilters,
  type UsageScope,
} from './usage-query';

export type SeriesRow = MeasureRow & { bucket: Date } & Record<string, unknown>;
export type BreakdownRow = MeasureRow & Record<string, unknown>;

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
 * Analytics reads over `usage_minute_rollups` and `usage_requests`. Every statement is composed
 * from fixed SQL and `$n` parameters (RollupWhere); every one takes a scope (consumer, provider's
 * API ids, or platform), so an unscoped read does not type-check. Hours and days are the minute
 * rows grouped by `date_trunc(…, 'UTC')` — the same sums as the `usage_hour_rollups` /
 * `usage_day_rollups` views, but with the range on `minute` so the `(…, minute)` indexes apply.
 */
@Injectable()
export class UsageAnalyticsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async series(
    scope: UsageScope,
    from: Date,
    to: Date,
    granularity: Granularity,
    filters: UsageFilters,
    groupBy: readonly UsageDimension[],
  ): Promise<SeriesRow[]> {
    const params = new SqlParams();
    const where = new RollupWhere(params, scope, from, to).equals(filters);
    const unit = params.add(granularity, 'text');
    const groups = groupBy.map((d) => `${USAGE_DIMENSIONS[d]} AS "${d}"`);
    const groupCols = groupBy.map((d) => USAGE_DIMENSIONS[d]);
    return this.dataSource.query<SeriesRow[]>(
      `SELECT date_trunc(${unit}, minute, 'UTC') AS bucket${groups.map((g) => `, ${g}`).join('')},
         ${USAGE_MEASURES_SQL}
       FROM usage_minute_rollups
       WHERE ${where.toSql()}
       GROUP BY ${['1', ...groupCols].join(', ')}
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
    const where = new RollupWhere(params, scope, from, to).equals(filters);
    const columns = dimensions.map((d) => USAGE_DIMENSIONS[d]);
    // no dimension: one row of totals (an aggregate without GROUP BY answers a row even when nothing matched)
    const select = [...dimensions.map((d) => `${USAGE_DIMENSIONS[d]} AS "${d}"`), USAGE_MEASURES_SQL].join(', ');
    const grouping = columns.length === 0 ? '' : `GROUP BY ${columns.join(', ')} ORDER BY sum(calls) DESC, ${columns.join(', ')}`;
    return this.dataSource.query<BreakdownRow[]>(
      `SELECT ${select}
       FROM usage_minute_rollups
       WHERE ${where.toSql()}
       ${grouping}
       LIMIT ${params.add(limit, 'int')}`,
      params.values,
    );
  }

  /** Platform totals per UTC day, with the distinct subscriptions, consumers and APIs that made calls. */
  platformDays(from: Date, to: Date): Promise<PlatformDayRow[]> {
    const params = new SqlParams();
    const where = new RollupWhere(params, { kind: 'platform' }, from, to);
    return this.dataSource.query<PlatformDayRow[]>(
      `SELECT date_trunc('day', minute, 'UTC') AS day,
         sum(calls)::bigint AS calls, sum(errors)::bigint AS errors, sum(billable_units)::bigint AS billable_units,
         count(DISTINCT subscription_id) FILTER (WHERE subscription_id <> '${NO_ID}'::uuid) AS subscriptions,
         count(DISTINCT consumer_account_id) AS consumers,
         array_agg(DISTINCT api_id) FILTER (WHERE api_id <> '${NO_ID}'::uuid) AS api_ids
       FROM usage_minute_rollups
       WHERE ${where.toSql()}
       GROUP BY 1
       ORDER BY 1`,
      params.values,
    );
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
        `(at, request_id) < (${params.add(cursor.at.toISOString(), 'timestamptz')}, ${params.add(cursor.requestId, 'varchar')})`,
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
