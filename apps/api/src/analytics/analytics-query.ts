import type { Granularity, RequestLogFilter, UsageDimension, UsageFilters } from '@app/metering';

const DEFAULT_SPAN_MS: Record<Granularity, number> = {
  minute: 3_600_000,
  hour: 86_400_000,
  day: 30 * 86_400_000,
};

/** The range of a query: `to` defaults to now, `from` to a span that suits the granularity. */
export function rangeOf(
  query: { from?: string; to?: string },
  granularity: Granularity,
  now: Date,
): { from: Date; to: Date } {
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_SPAN_MS[granularity]);
  return { from, to };
}

/** `2xx` → 2. */
export const statusClassOf = (label: string | undefined): number | undefined =>
  label === undefined ? undefined : Number(label[0]);

export function groupByOf(list: string | undefined): UsageDimension[] {
  return list ? [...new Set(list.split(',') as UsageDimension[])] : [];
}

export function filtersOf(query: {
  api?: string;
  app?: string;
  key?: string;
  endpoint?: string;
  plan?: string;
  statusClass?: string;
}): UsageFilters {
  const filters: UsageFilters = {};
  if (query.api) filters.api = query.api;
  if (query.app) filters.app = query.app;
  if (query.key) filters.key = query.key;
  if (query.endpoint) filters.endpoint = query.endpoint;
  if (query.plan) filters.plan = query.plan;
  if (query.statusClass) filters.statusClass = statusClassOf(query.statusClass);
  return filters;
}

export function requestFilterOf(query: {
  api?: string;
  app?: string;
  key?: string;
  status?: string;
  from?: string;
  to?: string;
}): RequestLogFilter {
  const filter: RequestLogFilter = {};
  if (query.api) filter.apiId = query.api;
  if (query.app) filter.applicationId = query.app;
  if (query.key) filter.keyId = query.key;
  if (query.status?.endsWith('xx')) filter.statusClass = Number(query.status[0]);
  else if (query.status) filter.status = Number(query.status);
  if (query.from) filter.from = new Date(query.from);
  if (query.to) filter.to = new Date(query.to);
  return filter;
}
