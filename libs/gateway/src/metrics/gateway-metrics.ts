import { ERROR_CODES } from '@app/common';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Registry,
  type Metric,
  type MetricValueWithName,
} from 'prom-client';
import type { LimiterCounters } from '../limiter/limiter.service';

/**
 * Prometheus metrics of the gateway, rendered by its `/metrics` route. One instance per process,
 * with its own registry (never prom-client's global one, so tests and several instances in one
 * process do not collide).
 *
 * Hot path: `observe`, `upstreamError` and `inflight` bump plain numbers in cells found through
 * nested Maps keyed by label values from fixed tables, so a call allocates nothing once its series
 * exists; the counters are written into prom-client when scraped. The duration histogram is
 * counted the same way (`DurationHistogram`).
 *
 * Cardinality is bounded by construction: `outcome` (4 values), `code` (an ERROR_CODES key or a
 * status class `1xx`…`5xx`, anything else `other`), `method_class` (the seven usual methods, else
 * `other`). No slug, path, key, or id is ever a label.
 */
export type GatewayOutcome = 'forwarded' | 'rejected' | 'mocked' | 'upstream_error';
/** What the forwarder reports: the three DESIGN §4 upstream codes, or a response cut after it started. */
export type UpstreamErrorCode = 'upstream_timeout' | 'upstream_unavailable' | 'upstream_error' | 'truncated';

export interface GatewayMetricsSuppliers {
  /** `LimiterService.counters`, read on every scrape. */
  limiter?: () => LimiterCounters;
  /** Events waiting in the usage buffer, read on every scrape. */
  bufferDepth?: () => number;
}

export interface GatewayMetricsOptions {
  /** prom-client's default process metrics (CPU, memory, event loop lag, GC, handles) on this registry. Default true. */
  defaultMetrics?: boolean;
}

export interface RenderedMetrics {
  contentType: string;
  body: string;
}

/** Seconds: a proxy answers in well under a millisecond when it rejects, and upstreams may take up to the 30 s timeout. */
export const GATEWAY_DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

const OUTCOMES: readonly GatewayOutcome[] = ['forwarded', 'rejected', 'mocked', 'upstream_error'];
const UPSTREAM_ERROR_CODES: readonly UpstreamErrorCode[] = [
  'upstream_timeout',
  'upstream_unavailable',
  'upstream_error',
  'truncated',
];
const OTHER = 'other';
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
const METHOD_CLASSES: Readonly<Record<string, string>> = {
  GET: 'GET',
  HEAD: 'HEAD',
  POST: 'POST',
  PUT: 'PUT',
  PATCH: 'PATCH',
  DELETE: 'DELETE',
  OPTIONS: 'OPTIONS',
};

interface Cell {
  value: number;
}

/** The `code` label: an error code of ERROR_CODES, or the status class of a status (number or `"404"`), or `other`. */
export function metricsCodeLabel(code: string | number): string {
  if (typeof code === 'number') return statusClass(code);
  if (Object.prototype.hasOwnProperty.call(ERROR_CODES, code)) return code;
  if (code.length === 3) {
    const index = STATUS_CLASSES.indexOf(code as (typeof STATUS_CLASSES)[number]);
    if (index !== -1) return STATUS_CLASSES[index];
    if (/^[1-5]\d\d$/.test(code)) return statusClass(Number(code));
  }
  return OTHER;
}

function statusClass(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599
    ? STATUS_CLASSES[Math.floor(status / 100) - 1]
    : OTHER;
}

function methodClass(method: string): string {
  return METHOD_CLASSES[method] ?? METHOD_CLASSES[method.toUpperCase()] ?? OTHER;
}

function cellOf<K>(map: Map<K, Cell>, key: K): Cell {
  let cell = map.get(key);
  if (cell === undefined) map.set(key, (cell = { value: 0 }));
  return cell;
}

function childMap<K, V>(map: Map<K, Map<string, V>>, key: K): Map<string, V> {
  let child = map.get(key);
  if (child === undefined) map.set(key, (child = new Map<string, V>()));
  return child;
}

function countOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

interface DurationSeries {
  /** Calls per bucket (not cumulative), the last one past every bound (+Inf). */
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * The request-duration histogram by outcome: a bucket index and three additions per call, handed
 * to the registry in prom-client's histogram shape (buckets, `+Inf`, `_sum`, `_count`) when
 * scraped. prom-client's own `Histogram.observe` builds and hashes the label set and turns the
 * bound into a property key on every call: ~2 % of the gateway's CPU per call.
 */
class DurationHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<GatewayOutcome, DurationSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {
    this.reset();
  }

  observe(outcome: GatewayOutcome, seconds: number): void {
    const series = this.series.get(outcome);
    if (series === undefined) return;
    let bucket = 0;
    while (bucket < this.bounds.length && seconds > this.bounds[bucket]) bucket++;
    series.buckets[bucket] += 1;
    series.sum += seconds;
    series.count += 1;
  }

  /** Every outcome's series at 0 (they exist from the start: rate() needs a 0). */
  reset(): void {
    for (const outcome of OUTCOMES)
      this.series.set(outcome, {
        buckets: new Array<number>(this.bounds.length + 1).fill(0),
        sum: 0,
        count: 0,
      });
  }

  /** What the registry renders (prom-client's runtime shape of a metric's values). */
  get(): Promise<
    Pick<DurationHistogram, 'name' | 'help' | 'type' | 'aggregator'> & {
      values: MetricValueWithName<string>[];
    }
  > {
    const values: MetricValueWithName<string>[] = [];
    for (const [outcome, series] of this.series) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += series.buckets[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, outcome }, value: cumulative });
      });
      values.push(
        { metricName: `${this.name}_bucket`, labels: { le: '+Inf', outcome }, value: series.count },
        { metricName: `${this.name}_sum`, labels: { outcome }, value: series.sum },
        { metricName: `${this.name}_count`, labels: { outcome }, value: series.count },
      );
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    });
  }
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private suppliers: GatewayMetricsSuppliers = {};
  /** outcome → code → method_class → count */
  private readonly requests = new Map<GatewayOutcome, Map<string, Map<string, Cell>>>();
  private readonly upstreamErrors = new Map<string, Cell>();
  private readonly duration = new DurationHistogram(
    'portico_gateway_request_duration_seconds',
    'Time from the request reaching the gateway to the end of its response, by outcome.',
    GATEWAY_DURATION_BUCKETS,
  );
  private inflightCount = 0;

  constructor(options: GatewayMetricsOptions = {}) {
    const registers = [this.registry];
    const requests = this.requests;
    new Counter({
      name: 'portico_gateway_requests_total',
      help: 'Calls handled by the gateway, by outcome (forwarded, rejected, mocked, upstream_error), code (error code or upstream status class) and method.',
      labelNames: ['outcome', 'code', 'method_class'] as const,
      registers,
      collect() {
        this.reset();
        for (const [outcome, byCode] of requests)
          for (const [code, byMethod] of byCode)
            for (const [method_class, cell] of byMethod)
              this.inc({ outcome, code, method_class }, cell.value);
      },
    });

    // the registry only calls name, type, get() and reset(): prom-client's Metric union names its
    // own classes, hence the cast
    this.registry.registerMetric(this.duration as unknown as Metric);

    const upstreamErrors = this.upstreamErrors;
    for (const code of UPSTREAM_ERROR_CODES) cellOf(upstreamErrors, code);
    new Counter({
      name: 'portico_gateway_upstream_errors_total',
      help: 'Upstream failures: upstream_timeout, upstream_unavailable, upstream_error, truncated (cut after the response started).',
      labelNames: ['code'] as const,
      registers,
      collect() {
        this.reset();
        for (const [code, cell] of upstreamErrors) this.inc({ code }, cell.value);
      },
    });

    const limiterCounter = (name: string, help: string, field: keyof LimiterCounters): void => {
      const read = (): number | null => {
        try {
          return countOrNull(this.suppliers.limiter?.()[field]);
        } catch {
          return null;
        }
      };
      new Counter({
        name,
        help,
        registers,
        collect() {
          const value = read();
          if (value === null) return; // no supplier yet (0) or it failed: keep what was last shown
          this.reset();
          this.inc(value);
        },
      });
    };
    limiterCounter(
      'portico_gateway_limiter_redis_failures_total',
      'Calls the limiter could not decide in Redis.',
      'redisFailures',
    );
    limiterCounter(
      'portico_gateway_limiter_fallback_decisions_total',
      'Of those, calls decided by the per-process fallback limiter (fail-open).',
      'fallbackDecisions',
    );
    limiterCounter(
      'portico_gateway_limiter_fail_closed_rejections_total',
      'Of those, calls refused with 503 (a paid hard quota, or fail-open switched off).',
      'failClosedRejections',
    );

    const readDepth = (): number | null => {
      try {
        return countOrNull(this.suppliers.bufferDepth?.());
      } catch {
        return null;
      }
    };
    new Gauge({
      name: 'portico_gateway_usage_buffer_depth',
      help: 'Usage events buffered in memory, waiting to be flushed as a metering job.',
      registers,
      collect() {
        const depth = readDepth();
        if (depth !== null) this.set(depth);
      },
    });

    const inflight = (): number => this.inflightCount;
    new Gauge({
      name: 'portico_gateway_inflight_requests',
      help: 'Calls being handled right now.',
      registers,
      collect() {
        this.set(inflight());
      },
    });

    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** One finished call: its outcome, its code (error code, upstream status or status class), method and duration. */
  observe(outcome: GatewayOutcome, code: string | number, method: string, seconds: number): void {
    const byCode =
      this.requests.get(outcome) ?? (OUTCOMES.includes(outcome) ? childMap(this.requests, outcome) : null);
    if (byCode === null) return;
    cellOf(childMap(byCode, metricsCodeLabel(code)), methodClass(method)).value += 1;
    if (Number.isFinite(seconds) && seconds >= 0) this.duration.observe(outcome, seconds);
  }

  /** An upstream failure reported by the forwarder (an UpstreamErrorCode; anything else counts as `other`). */
  upstreamError(code: string): void {
    const label = UPSTREAM_ERROR_CODES.includes(code as UpstreamErrorCode) ? code : OTHER;
    cellOf(this.upstreamErrors, label).value += 1;
  }

  /** +1 when a call starts, -1 when it ends (whatever happened). */
  inflight(delta: 1 | -1): void {
    this.inflightCount += delta;
  }

  setSuppliers(suppliers: GatewayMetricsSuppliers): void {
    this.suppliers = { ...this.suppliers, ...suppliers };
  }

  /** The text exposition format, for `GET /metrics`. */
  async render(): Promise<RenderedMetrics> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
