import type { CsvValue, UsageDimension } from '@app/metering';
import type { UsageSeriesResultDto } from './analytics.dto';

const COLUMN: Record<UsageDimension, string> = {
  api: 'api_id',
  app: 'app_id',
  key: 'key_id',
  endpoint: 'endpoint_id',
  statusClass: 'status_class',
  subscription: 'subscription_id',
  plan: 'plan_id',
  consumer: 'consumer_id',
};

/** The series as CSV rows: one line per (group, bucket). */
export function seriesCsv(result: UsageSeriesResultDto): { header: string[]; rows: CsvValue[][] } {
  const dims = result.groupBy as UsageDimension[];
  const header = [
    'bucket_start',
    ...dims.map((d) => COLUMN[d]),
    'calls',
    'errors',
    'bytes_in',
    'bytes_out',
    'billable_units',
    'overage_units',
    'latency_p50_ms',
    'latency_p95_ms',
    'latency_p99_ms',
  ];
  const rows = result.series.flatMap((s) =>
    s.points.map((p) => [
      p.start,
      ...dims.map((d) => (s.group as Record<string, string | null | undefined>)[d] ?? null),
      p.calls,
      p.errors,
      p.bytesIn,
      p.bytesOut,
      p.billableUnits,
      p.overageUnits,
      p.latencyMs.p50,
      p.latencyMs.p95,
      p.latencyMs.p99,
    ]),
  );
  return { header, rows };
}
