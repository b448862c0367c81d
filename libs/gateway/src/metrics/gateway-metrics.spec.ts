import type { LimiterCounters } from '../limiter/limiter.service';
import { GatewayMetrics, metricsCodeLabel } from './gateway-metrics';

/** The value of one series in the exposition text, e.g. `portico_gateway_inflight_requests`, or undefined. */
function series(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .sort();
  for (const line of body.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',').filter(Boolean).sort();
    if (have.length === wanted.length && have.every((pair, i) => pair === wanted[i])) return Number(match[3]);
  }
  return undefined;
}

describe('GatewayMetrics', () => {
  it('counts calls by outcome, code and method class, and times them by outcome', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    metrics.observe('forwarded', 200, 'GET', 0.012);
    metrics.observe('forwarded', '2xx', 'get', 0.02);
    metrics.observe('forwarded', 503, 'POST', 0.3);
    metrics.observe('rejected', 'rate_limit_exceeded', 'GET', 0.0004);
    metrics.observe('rejected', 'rate_limit_exceeded', 'GET', 0.0007);
    metrics.observe('mocked', 201, 'BREW', 0.002);
    metrics.observe('upstream_error', 'upstream_timeout', 'PUT', 30.5);

    const { contentType, body } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('# TYPE portico_gateway_requests_total counter');
    const requests = (outcome: string, code: string, method_class: string) =>
      series(body, 'portico_gateway_requests_total', { outcome, code, method_class });
    expect(requests('forwarded', '2xx', 'GET')).toBe(2);
    expect(requests('forwarded', '5xx', 'POST')).toBe(1);
    expect(requests('rejected', 'rate_limit_exceeded', 'GET')).toBe(2);
    expect(requests('mocked', '2xx', 'other')).toBe(1);
    expect(requests('upstream_error', 'upstream_timeout', 'PUT')).toBe(1);

    expect(body).toContain('# TYPE portico_gateway_request_duration_seconds histogram');
    const bucket = (outcome: string, le: string) =>
      series(body, 'portico_gateway_request_duration_seconds_bucket', { outcome, le });
    expect(bucket('rejected', '0.0005')).toBe(1);
    expect(bucket('rejected', '0.001')).toBe(2);
    expect(bucket('forwarded', '0.01')).toBe(0);
    expect(bucket('forwarded', '0.025')).toBe(2);
    expect(bucket('forwarded', '0.5')).toBe(3);
    expect(bucket('upstream_error', '30')).toBe(0);
    expect(bucket('upstream_error', '+Inf')).toBe(1);
    expect(series(body, 'portico_gateway_request_duration_seconds_count', { outcome: 'forwarded' })).toBe(3);
    expect(series(body, 'portico_gateway_request_duration_seconds_sum', { outcome: 'rejected' })).toBeCloseTo(
      0.0011,
      6,
    );
  });

  it('keeps label values bounded: unknown codes and methods become "other"', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    metrics.observe('rejected', '/secret/path/of/a/customer', 'GET', 0.001);
    metrics.observe('rejected', 'mp_live_abc', 'get', 0.001);
    metrics.observe('forwarded', 799, 'X-CUSTOM', 0.001);
    const { body } = await metrics.render();
    expect(body).not.toContain('secret');
    expect(body).not.toContain('mp_live');
    expect(
      series(body, 'portico_gateway_requests_total', {
        outcome: 'rejected',
        code: 'other',
        method_class: 'GET',
      }),
    ).toBe(2);
    expect(
      series(body, 'portico_gateway_requests_total', {
        outcome: 'forwarded',
        code: 'other',
        method_class: 'other',
      }),
    ).toBe(1);
  });

  it('maps codes to a known error code, a status class or other', () => {
    expect(metricsCodeLabel('quota_exceeded')).toBe('quota_exceeded');
    expect(metricsCodeLabel('upstream_unavailable')).toBe('upstream_unavailable');
    expect(metricsCodeLabel(404)).toBe('4xx');
    expect(metricsCodeLabel('404')).toBe('4xx');
    expect(metricsCodeLabel('3xx')).toBe('3xx');
    expect(metricsCodeLabel(99)).toBe('other');
    expect(metricsCodeLabel('toString')).toBe('other');
    expect(metricsCodeLabel('__proto__')).toBe('other');
  });

  it('counts upstream errors by code', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    metrics.upstreamError('upstream_timeout');
    metrics.upstreamError('upstream_timeout');
    metrics.upstreamError('truncated');
    metrics.upstreamError('something_new');
    const { body } = await metrics.render();
    const errors = (code: string) => series(body, 'portico_gateway_upstream_errors_total', { code });
    expect(errors('upstream_timeout')).toBe(2);
    expect(errors('truncated')).toBe(1);
    expect(errors('other')).toBe(1);
    expect(errors('upstream_unavailable')).toBe(0); // known codes exist from the start
  });

  it('reads the limiter counters and the usage buffer depth from their suppliers on every scrape', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    let before = await metrics.render();
    expect(series(before.body, 'portico_gateway_limiter_redis_failures_total')).toBe(0);
    expect(series(before.body, 'portico_gateway_usage_buffer_depth')).toBe(0);

    const counters: LimiterCounters = { redisFailures: 5, fallbackDecisions: 3, failClosedRejections: 2 };
    let depth = 120;
    metrics.setSuppliers({ limiter: () => counters, bufferDepth: () => depth });
    before = await metrics.render();
    expect(before.body).toContain('# TYPE portico_gateway_limiter_redis_failures_total counter');
    expect(series(before.body, 'portico_gateway_limiter_redis_failures_total')).toBe(5);
    expect(series(before.body, 'portico_gateway_limiter_fallback_decisions_total')).toBe(3);
    expect(series(before.body, 'portico_gateway_limiter_fail_closed_rejections_total')).toBe(2);
    expect(series(before.body, 'portico_gateway_usage_buffer_depth')).toBe(120);

    counters.redisFailures = 9;
    depth = 0;
    const after = await metrics.render();
    expect(series(after.body, 'portico_gateway_limiter_redis_failures_total')).toBe(9);
    expect(series(after.body, 'portico_gateway_usage_buffer_depth')).toBe(0);
  });

  it('keeps the last values when a supplier throws, and still renders', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    let fail = false;
    metrics.setSuppliers({
      limiter: () => {
        if (fail) throw new Error('boom');
        return { redisFailures: 4, fallbackDecisions: 4, failClosedRejections: 0 };
      },
      bufferDepth: () => (fail ? Number.NaN : 7),
    });
    await metrics.render();
    fail = true;
    const { body } = await metrics.render();
    expect(series(body, 'portico_gateway_limiter_redis_failures_total')).toBe(4);
    expect(series(body, 'portico_gateway_usage_buffer_depth')).toBe(7);
  });

  it('tracks calls in flight', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    metrics.inflight(1);
    metrics.inflight(1);
    metrics.inflight(1);
    metrics.inflight(-1);
    expect(series((await metrics.render()).body, 'portico_gateway_inflight_requests')).toBe(2);
    metrics.inflight(-1);
    metrics.inflight(-1);
    expect(series((await metrics.render()).body, 'portico_gateway_inflight_requests')).toBe(0);
  });

  it('adds the default process metrics to its own registry, not the global one', async () => {
    const first = new GatewayMetrics();
    const second = new GatewayMetrics();
    const { body } = await first.render();
    expect(series(body, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(body).toContain('nodejs_heap_size_used_bytes');
    expect(body).toContain('nodejs_eventloop_lag_seconds');
    expect((await second.render()).body).toContain('process_resident_memory_bytes');
    const { register } = await import('prom-client');
    expect(await register.getMetricsAsJSON()).toEqual([]);
  });

  it('ignores a negative or non-finite duration but still counts the call', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    metrics.observe('forwarded', 200, 'GET', Number.NaN);
    metrics.observe('forwarded', 200, 'GET', -1);
    const { body } = await metrics.render();
    expect(
      series(body, 'portico_gateway_requests_total', {
        outcome: 'forwarded',
        code: '2xx',
        method_class: 'GET',
      }),
    ).toBe(2);
    expect(series(body, 'portico_gateway_request_duration_seconds_count', { outcome: 'forwarded' })).toBe(0);
  });
});
