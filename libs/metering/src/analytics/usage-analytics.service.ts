import { isUuid, validationFailed } from '@app/common';
import { Injectable } from '@nestjs/common';
import { latencyPercentiles, type LatencyPercentiles } from '../latency-histogram';
import { NO_ID } from '../usage-aggregation';
import type { PeriodQuery } from '../usage.repository';
import { bucketRange, bucketStarts, type BucketRange } from './time-buckets';
import {
  UsageAnalyticsRepository,
  type RequestLogCursor,
  type RequestLogFilter,
  type RequestLogRow,
} from './usage-analytics.repository';
import type { Granularity, MeasureRow, UsageDimension, UsageFilters, UsageScope } from './usage-query';

/** Sums over a set of rollup rows, with percentiles from their summed histograms. */
export interface UsageMeasures {
  calls: number;
  errors: number;
  /** errors / calls, 0 when there were no calls. */
  errorRate: number;
  bytesIn: number;
  bytesOut: number;
  billableUnits: number;
  overageUnits: number;
  latencyMs: LatencyPercentiles;
}

export interface UsagePoint extends UsageMeasures {
  /** Bucket start (UTC). */
  start: Date;
}

export interface UsageSeries {
  /** The group's dimension values (empty without groupBy); ids, status class as a number. */
  group: Partial<Record<UsageDimension, string | number | null>>;
  totals: UsageMeasures;
  points: UsagePoint[];
}

export interface UsageSeriesQuery {
  from: Date;
  to: Date;
  granularity: Granularity;
  filters: UsageFilters;
  groupBy: readonly UsageDimension[];
}

export interface UsageSeriesResult {
  range: BucketRange;
  groupBy: readonly UsageDimension[];
  series: UsageSeries[];
}

export interface BreakdownItem extends UsageMeasures {
  /** Each dimension's value (an id; null for "none", e.g. calls rejected before an endpoint matched). */
  keys: Partial<Record<UsageDimension, string | number | null>>;
}

export interface PlatformDay {
  day: Date;
  calls: number;
  errors: number;
  billableUnits: number;
  /** Distinct subscriptions with at least one call that day. */
  activeSubscriptions: number;
  /** Distinct consumer accounts with at least one call that day. */
  activeConsumers: number;
  /** Distinct APIs called that day (the caller maps them to providers). */
  apiIds: string[];
}

export interface RequestLogEntry {
  requestId: string;
  at: Date;
  applicationId: string;
  keyId: string;
  keyPrefix: string;
  apiId: string | null;
  subscriptionId: string | null;
  endpointId: string | null;
  method: string;
  status: number;
  latencyMs: number;
  bytesIn: number;
  bytesOut: number;
  mode: 'live' | 'test';
  billableUnits: number;
  generated: boolean;
  errorCode: string | null;
}

export interface RequestLogPage {
  items: RequestLogEntry[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export const REQUEST_LOG_PAGE = { default: 50, max: 200 } as const;
const CSV_PAGE = 1_000;

const num = (value: string | number | null | undefined): number => Number(value ?? 0);

export function measuresOf(row: MeasureRow): UsageMeasures {
  const calls = num(row.calls);
  const errors = num(row.errors);
  return {
    calls,
    errors,
    errorRate: calls === 0 ? 0 : Math.round((errors / calls) * 10_000) / 10_000,
    bytesIn: num(row.bytes_in),
    bytesOut: num(row.bytes_out),
    billableUnits: num(row.billable_units),
    overageUnits: num(row.overage_units),
    latencyMs: latencyPercentiles((row.histogram ?? []).map(Number)),
  };
}

const EMPTY: MeasureRow = {
  calls: '0',
  errors: '0',
  bytes_in: '0',
  bytes_out: '0',
  billable_units: '0',
  overage_units: '0',
  histogram: null,
};

function addRows(a: MeasureRow, b: MeasureRow): MeasureRow {
  const histogram =
    a.histogram || b.histogram
      ? Array.from({ length: Math.max(a.histogram?.length ?? 0, b.histogram?.length ?? 0) }, (_, i) =>
          String(num(a.histogram?.[i]) + num(b.histogram?.[i])),
        )
      : null;
  return {
    calls: String(num(a.calls) + num(b.calls)),
    errors: String(num(a.errors) + num(b.errors)),
    bytes_in: String(num(a.bytes_in) + num(b.bytes_in)),
    bytes_out: String(num(a.bytes_out) + num(b.bytes_out)),
    billable_units: String(num(a.billable_units) + num(b.billable_units)),
    overage_units: String(num(a.overage_units) + num(b.overage_units)),
    histogram,
  };
}

/** The nil UUID ("none") reads as null. */
const dimensionValue = (value: unknown): string | number | null =>
  typeof value === 'number' ? value : typeof value === 'string' && value !== NO_ID ? value : null;

export function encodeCursor(cursor: RequestLogCursor): string {
  return Buffer.from(`${cursor.at.toISOString()}|${cursor.requestId}`, 'utf8').toString('base64url');
}

export function decodeCursor(raw: string): RequestLogCursor {
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  const bar = text.indexOf('|');
  const at = new Date(text.slice(0, bar));
  const requestId = text.slice(bar + 1);
  if (bar < 0 || Number.isNaN(at.getTime()) || !isUuid(requestId))
    throw validationFailed('cursor', 'is not a cursor this API returned (pass nextCursor as it is)');
  return { at, requestId };
}

function entryOf(row: RequestLogRow): RequestLogEntry {
  return {
    requestId: row.request_id,
    at: new Date(row.at),
    applicationId: row.application_id,
    keyId: row.key_id,
    keyPrefix: row.key_prefix,
    apiId: row.api_id,
    subscriptionId: row.subscription_id,
    endpointId: row.endpoint_id,
    method: row.method,
    status: Number(row.status),
    latencyMs: Number(row.latency_ms),
    bytesIn: num(row.bytes_in),
    bytesOut: num(row.bytes_out),
    mode: row.mode,
    billableUnits: Number(row.billable_units),
    generated: row.generated,
    errorCode: row.error_code,
  };
}

/**
 * Analytics over the minute rollups and the request log (issue 5 "Analytics API"): time series,
 * breakdowns, platform totals and the request log. Every read takes its scope; callers (the
 * analytics lib) decide which scope a signed-in account may have.
 */
@Injectable()
export class UsageAnalyticsService {
  constructor(private readonly repository: UsageAnalyticsRepository) {}

  /**
   * Buckets of `granularity` over [from, to) aligned to UTC bucket boundaries (at most
   * MAX_SERIES_POINTS, else 400 naming the granularity to use), one series per group. Without
   * groupBy the single series has every bucket (zeros where nothing happened); grouped series
   * hold only the buckets with calls.
   */
  async series(scope: UsageScope, query: UsageSeriesQuery): Promise<UsageSeriesResult> {
    const range = bucketRange(query.from, query.to, query.granularity);
    const rows = await this.repository.series(
      scope,
      range.from,
      range.to,
      range.granularity,
      query.filters,
      query.groupBy,
    );
    const groups = new Map<string, { group: UsageSeries['group']; rows: (MeasureRow & { bucket: Date })[] }>();
    for (const row of rows) {
      const group = Object.fromEntries(
        query.groupBy.map((d) => [d, d === 'statusClass' ? Number(row[d]) : dimensionValue(row[d])]),
      );
      const key = JSON.stringify(group);
      const entry = groups.get(key) ?? { group, rows: [] as (MeasureRow & { bucket: Date })[] };
      entry.rows.push(row);
      groups.set(key, entry);
    }
    if (query.groupBy.length === 0) {
      const byStart = new Map((groups.get('{}')?.rows ?? []).map((row) => [new Date(row.bucket).getTime(), row]));
      const points = bucketStarts(range).map((start) => ({
        start,
        ...measuresOf(byStart.get(start.getTime()) ?? EMPTY),
      }));
      const total = [...byStart.values()].reduce<MeasureRow>((sum, row) => addRows(sum, row), EMPTY);
      return { range, groupBy: query.groupBy, series: [{ group: {}, totals: measuresOf(total), points }] };
    }
    const series = [...groups.values()].map(({ group, rows: groupRows }) => ({
      group,
      totals: measuresOf(groupRows.reduce<MeasureRow>((sum, row) => addRows(sum, row), EMPTY)),
      points: groupRows.map((row) => ({ start: new Date(row.bucket), ...measuresOf(row) })),
    }));
    return { range, groupBy: query.groupBy, series };
  }

  /** Totals per combination of `dimensions` over [from, to), most calls first (at most `limit`). */
  async breakdown(
    scope: UsageScope,
    from: Date,
    to: Date,
    dimensions: readonly UsageDimension[],
    filters: UsageFilters = {},
    limit = 100,
  ): Promise<BreakdownItem[]> {
    if (!(from.getTime() < to.getTime())) throw validationFailed('from', 'must be before to (the range is [from, to))');
    const rows = await this.repository.breakdown(scope, from, to, dimensions, filters, limit);
    return rows.map((row) => ({
      keys: Object.fromEntries(
        dimensions.map((d) => [d, d === 'statusClass' ? Number(row[d]) : dimensionValue(row[d])]),
      ),
      ...measuresOf(row),
    }));
  }

  /** Platform-wide totals per UTC day over [from, to) (days without calls are included with zeros). */
  async platformDays(from: Date, to: Date): Promise<{ range: BucketRange; days: PlatformDay[] }> {
    const range = bucketRange(from, to, 'day');
    const rows = await this.repository.platformDays(range.from, range.to);
    const byDay = new Map(rows.map((row) => [new Date(row.day).getTime(), row]));
    const days = bucketStarts(range).map((day) => {
      const row = byDay.get(day.getTime());
      return {
        day,
        calls: num(row?.calls),
        errors: num(row?.errors),
        billableUnits: num(row?.billable_units),
        activeSubscriptions: num(row?.subscriptions),
        activeConsumers: num(row?.consumers),
        apiIds: row?.api_ids ?? [],
      };
    });
    return { range, days };
  }

  /**
   * Calls, billable and overage units of each of the consumer's subscriptions in its period, in
   * the order asked: equal to `MeteringService.usageForPeriods` (what billing rates) — the hour and
   * day rollups are exact sums of the minute rows — but read from whole days and hours.
   */
  async periodTotals(
    consumerAccountId: string,
    periods: readonly PeriodQuery[],
  ): Promise<{ calls: number; billableUnits: number; overageUnits: number }[]> {
    const rows = await this.repository.periodTotals({ kind: 'consumer', consumerAccountId }, periods);
    return rows.map((row) => ({
      calls: num(row.calls),
      billableUnits: num(row.billable_units),
      overageUnits: num(row.overage_units),
    }));
  }

  /** One page of the consumer's request log, newest first. */
  async requests(
    consumerAccountId: string,
    filter: RequestLogFilter,
    cursor: string | null,
    limit: number = REQUEST_LOG_PAGE.default,
  ): Promise<RequestLogPage> {
    const size = Math.min(Math.max(1, limit), REQUEST_LOG_PAGE.max);
    const rows = await this.repository.requests(
      consumerAccountId,
      filter,
      cursor ? decodeCursor(cursor) : null,
      size + 1,
    );
    const items = rows.slice(0, size).map(entryOf);
    const last = items[items.length - 1];
    return {
      items,
      nextCursor: rows.length > size && last ? encodeCursor({ at: last.at, requestId: last.requestId }) : null,
    };
  }

  /** The whole (filtered) request log, newest first, page by page: for streaming exports. */
  async *allRequests(consumerAccountId: string, filter: RequestLogFilter): AsyncGenerator<RequestLogEntry[]> {
    let cursor: RequestLogCursor | null = null;
    for (;;) {
      const rows = await this.repository.requests(consumerAccountId, filter, cursor, CSV_PAGE);
      if (rows.length === 0) return;
      const items = rows.map(entryOf);
      yield items;
      if (rows.length < CSV_PAGE) return;
      const last = items[items.length - 1];
      cursor = { at: last.at, requestId: last.requestId };
    }
  }
}
