import type { UsageEvent } from '@app/common';
import { queuedUsageEvents } from '@app/common/testing';
import { MeteringService } from '@app/metering';
import Decimal from 'decimal.js';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request as undiciRequest } from 'undici';
import { signUp, type SignedUp } from './support/api-client';
import { send } from './support/catalog-fixtures';
import {
  consumer,
  createKey,
  publishUpstreamApi,
  queuedUsageBatches,
  startGatewayStack,
  subscribe,
  type Consumer,
  type GatewayStack,
  type PublishedApi,
} from './support/gateway-stack';

/**
 * The analytics API end to end: calls through a real gateway against a loopback upstream, their
 * usage batches applied by MeteringService (what the worker's processor runs), then read back
 * through /v1/usage…, /v1/provider/analytics… and /v1/admin/analytics.
 */

const PRO = {
  name: 'Pro',
  priceAmountMinor: 1900,
  currency: 'USD',
  quotaLimit: 3,
  quotaMode: 'soft',
  overageUnitPriceMinor: '0.5',
  rateLimit: { perSecond: 1000, burst: 1000 },
};

describe('analytics API over real usage', () => {
  let stack: GatewayStack;
  let upstream: Server;
  let api: PublishedApi;
  let other: PublishedApi;
  let user: Consumer;
  let stranger: SignedUp;
  let subscriptionId: string;
  /** The consumer's live key (its secret), whose display form the request log shows. */
  let liveKey: string;
  let events: UsageEvent[] = [];
  const requestIds: string[] = [];
  const since = new Date(Date.now() - 60_000);

  const gw = async (path: string, key: string): Promise<number> => {
    const res = await undiciRequest(`${stack.gatewayUrl}/${api.slug}${path}`, {
      headers: { 'x-portico-key': key },
    });
    await res.body.dump();
    requestIds.push(String(res.headers['x-portico-request-id']));
    return res.statusCode;
  };

  /** Applies the gateway's queued batches holding our request ids, as the worker's metering processor does. */
  const applyUsage = async (): Promise<void> => {
    const batches = (await queuedUsageBatches(stack, requestIds, 10_000)).filter((batch) =>
      queuedUsageEvents(batch).some((event) => requestIds.includes(event.requestId)),
    );
    const metering = stack.api.get(MeteringService);
    for (const batch of batches) await metering.applyBatch(batch);
    events = batches.flatMap(queuedUsageEvents).filter((e) => requestIds.includes(e.requestId));
  };

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      const status = req.url?.startsWith('/fail') ? 500 : req.url?.startsWith('/missing') ? 404 : 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: status === 200, path: req.url }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const liveUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    stack = await startGatewayStack();
    api = await publishUpstreamApi(stack, { liveUrl, plans: [PRO] });
    other = await publishUpstreamApi(stack, { liveUrl });
    user = await consumer(stack, 'usage');
    stranger = await signUp(stack.api, 'stranger');
    liveKey = await createKey(stack, user);
    subscriptionId = (await subscribe(stack, user, api.planIds[1])).id;
    // a period counts the minutes whose first instant lies in it (libs/metering README "Time"): move the
    // period two minutes back so the calls' minute belongs to it however close to a minute boundary we are
    await stack.db.query(
      `UPDATE subscriptions SET anchor = anchor - interval '2 minutes', current_period_start = current_period_start - interval '2 minutes',
         current_period_end = current_period_end - interval '2 minutes' WHERE id = $1`,
      [subscriptionId],
    );
    for (let i = 0; i < 5; i++) expect(await gw(`/ok/${i}`, liveKey)).toBe(200);
    expect(await gw('/missing', liveKey)).toBe(404);
    expect(await gw('/fail', liveKey)).toBe(500);
    await applyUsage();
  }, 90_000);

  afterAll(async () => {
    await stack?.close();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  const range = (): string =>
    `from=${encodeURIComponent(since.toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`;

  it('shows the calls made through the gateway with their sums, status classes and latency', async () => {
    expect(events).toHaveLength(7);
    const res = await user.user.agent.get(`/v1/usage?${range()}&granularity=minute`).expect(200);
    expect(res.body.granularity).toBe('minute');
    expect(res.body.series).toHaveLength(1);
    const totals = res.body.series[0].totals;
    const bytesOut = events.reduce((n, e) => n + e.bytesOut, 0);
    expect(totals).toMatchObject({ calls: 7, errors: 2, billableUnits: 6, bytesOut });
    expect(totals.errorRate).toBeCloseTo(2 / 7, 3);
    expect(totals.latencyMs.p50).toEqual(expect.any(Number));
    // without groupBy every minute bucket is present, zeros included
    const points = res.body.series[0].points as { start: string; calls: number }[];
    expect(points.reduce((n, p) => n + p.calls, 0)).toBe(7);
    expect(new Date(points[1].start).getTime() - new Date(points[0].start).getTime()).toBe(60_000);

    const grouped = await user.user.agent
      .get(`/v1/usage?${range()}&granularity=hour&groupBy=statusClass,api`)
      .expect(200);
    const byClass = Object.fromEntries(
      (
        grouped.body.series as {
          group: { statusClass: string; api: string };
          totals: { calls: number; billableUnits: number };
        }[]
      ).map((s) => [
        s.group.statusClass,
        { api: s.group.api, calls: s.totals.calls, billable: s.totals.billableUnits },
      ]),
    );
    expect(byClass).toEqual({
      '2xx': { api: api.id, calls: 5, billable: 5 },
      '4xx': { api: api.id, calls: 1, billable: 1 },
      '5xx': { api: api.id, calls: 1, billable: 0 },
    });

    const fivexx = await user.user.agent
      .get(`/v1/usage?${range()}&granularity=day&statusClass=5xx&api=${api.id}`)
      .expect(200);
    expect(fivexx.body.series[0].totals).toMatchObject({ calls: 1, errors: 1, billableUnits: 0 });
  });

  it("never shows another account's usage", async () => {
    const res = await stranger.agent.get(`/v1/usage?${range()}&granularity=hour`).expect(200);
    expect(res.body.series[0].totals.calls).toBe(0);
    const log = await stranger.agent.get('/v1/usage/requests').expect(200);
    expect(log.body.items).toEqual([]);
    // filtering by someone else's app does not reach their rows either
    const app = await stranger.agent.get(`/v1/usage?${range()}&app=${user.applicationId}`).expect(200);
    expect(app.body.series[0].totals.calls).toBe(0);
  });

  it('shows the current period with quota remaining, overage cost so far and a projection (soft-quota paid plan)', async () => {
    const res = await user.user.agent.get('/v1/usage/subscriptions').expect(200);
    const period = (res.body as { subscriptionId: string }[]).find(
      (p) => p.subscriptionId === subscriptionId,
    ) as Record<string, unknown>;
    const overage = events.reduce((n, e) => n + (e.status < 500 && !e.generated ? e.overageUnits : 0), 0);
    expect(overage).toBeGreaterThan(0);
    const expectedCost = new Decimal(overage)
      .times('0.5')
      .toDecimalPlaces(0, Decimal.ROUND_HALF_UP)
      .toFixed(0);
    expect(period).toMatchObject({
      apiId: api.id,
      apiName: 'Gateway Test API',
      apiSlug: api.slug,
      planId: api.planIds[1],
      planName: 'Pro',
      status: 'active',
      currency: 'USD',
      basePriceMinor: '1900',
      quotaLimit: 3,
      quotaMode: 'soft',
      quotaUsed: 6,
      quotaRemaining: 0,
      calls: 7,
      overageUnitPriceMinor: '0.5',
      overageUnits: overage,
      overageCostMinor: expectedCost,
      costSoFarMinor: String(1900 + Number(expectedCost)),
    });
    expect(Number(period.projectedTotalMinor)).toBeGreaterThanOrEqual(Number(period.costSoFarMinor));
    expect(Number(period.projectedOverageUnits)).toBeGreaterThanOrEqual(overage);
    expect(typeof period.projectedOverageCostMinor).toBe('string');
    expect(Date.parse(period.periodEnd as string)).toBeGreaterThan(Date.parse(period.periodStart as string));
  });

  it('pages the request log newest first and filters it by status', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    const pages: number[] = [];
    do {
      const url: string = `/v1/usage/requests?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await user.user.agent.get(url).expect(200);
      pages.push(res.body.items.length);
      seen.push(...(res.body.items as { requestId: string }[]).map((i) => i.requestId));
      const ats = (res.body.items as { at: string }[]).map((i) => Date.parse(i.at));
      expect([...ats].sort((a, b) => b - a)).toEqual(ats);
      cursor = res.body.nextCursor as string | null;
    } while (cursor);
    expect(pages).toEqual([3, 3, 1]);
    expect(new Set(seen)).toEqual(new Set(requestIds));

    const failed = await user.user.agent.get(`/v1/usage/requests?status=5xx&api=${api.id}`).expect(200);
    expect(failed.body.items).toHaveLength(1);
    expect(failed.body.items[0]).toMatchObject({
      status: 500,
      method: 'GET',
      subscriptionId,
      billableUnits: 0,
    });
    // the display form, as the gateway sent it (percent-encoded in the batch: libs/common UsageCalls)
    expect(failed.body.items[0].keyPrefix).toBe(`mp_live_…${liveKey.slice(-4)}`);
    const exact = await user.user.agent.get('/v1/usage/requests?status=404').expect(200);
    expect(exact.body.items.map((i: { status: number }) => i.status)).toEqual([404]);

    await user.user.agent.get('/v1/usage/requests?cursor=bm90LWEtY3Vyc29y').expect(400);
  });

  it('exports the request log and the series as streamed CSV', async () => {
    const log = await user.user.agent.get('/v1/usage/requests?format=csv').expect(200);
    expect(log.headers['content-type']).toMatch(/^text\/csv/);
    expect(log.headers['content-disposition']).toMatch(/^attachment; filename="requests-.*\.csv"$/);
    const lines = log.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'at,request_id,method,status,latency_ms,bytes_in,bytes_out,billable_units,mode,generated,error_code,api_id,endpoint_id,subscription_id,app_id,key_id,key_prefix',
    );
    expect(lines).toHaveLength(8);
    expect(
      lines
        .slice(1)
        .map((l) => l.split(',')[1])
        .sort(),
    ).toEqual([...requestIds].sort());

    const series = await user.user.agent
      .get(`/v1/usage?${range()}&granularity=hour&groupBy=statusClass`)
      .set('Accept', 'text/csv')
      .expect(200);
    expect(series.headers['content-type']).toMatch(/^text\/csv/);
    expect(series.headers['content-disposition']).toMatch(/attachment; filename="usage-hour-.*\.csv"/);
    const rows = series.text.trimEnd().split('\r\n');
    expect(rows[0]).toBe(
      'bucket_start,status_class,calls,errors,bytes_in,bytes_out,billable_units,overage_units,latency_p50_ms,latency_p95_ms,latency_p99_ms',
    );
    const calls = rows.slice(1).map((r) => r.split(','));
    expect(calls.map((c) => c[1]).sort()).toEqual(['2xx', '4xx', '5xx']);
    expect(calls.reduce((n, c) => n + Number(c[2]), 0)).toBe(7);
  });

  it('gives a provider analytics of its own APIs only, with limited consumer identity', async () => {
    const res = await api.owner.user.agent.get(`/v1/provider/analytics?${range()}`).expect(200);
    expect(res.body.totals).toMatchObject({ calls: 7, errors: 2, billableUnits: 6 });
    expect(res.body.apis).toEqual([
      expect.objectContaining({ id: api.id, name: 'Gateway Test API', calls: 7 }),
    ]);
    expect(res.body.plans).toEqual([
      expect.objectContaining({ id: api.planIds[1], name: 'Pro (v1)', calls: 7 }),
    ]);
    const top = res.body.topConsumers as Record<string, unknown>[];
    expect(top).toHaveLength(1);
    expect(top[0]).toMatchObject({
      subscriptionId,
      apiId: api.id,
      emailDomain: 'example.com',
      calls: 7,
      billableUnits: 6,
    });
    expect(Object.keys(top[0])).not.toEqual(expect.arrayContaining(['email', 'consumerAccountId']));
    expect(JSON.stringify(res.body)).not.toContain(user.user.email);
    expect(JSON.stringify(res.body)).not.toContain(user.user.accountId);
    expect(res.body.subscriptions.created).toBeGreaterThanOrEqual(1);

    const series = await api.owner.user.agent
      .get(`/v1/provider/analytics/usage?${range()}&granularity=minute&groupBy=statusClass&api=${api.id}`)
      .expect(200);
    expect(
      series.body.series.reduce((n: number, s: { totals: { calls: number } }) => n + s.totals.calls, 0),
    ).toBe(7);

    const csv = await api.owner.user.agent
      .get(`/v1/provider/analytics/consumers?${range()}&format=csv`)
      .expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^subscription_id,api_id,display_name,email_domain,calls,/);
    expect(lines[1]).toContain(subscriptionId);
    expect(lines[1]).toContain(',example.com,7,');

    // another provider's API answers like an unknown one; that provider sees none of these calls
    for (const id of [api.id, randomUUID()]) {
      const denied = await other.owner.user.agent.get(`/v1/provider/analytics?api=${id}`).expect(404);
      expect(denied.body.code).toBe('not_found');
    }
    const theirs = await other.owner.user.agent.get(`/v1/provider/analytics?${range()}`).expect(200);
    expect(theirs.body.totals.calls).toBe(0);
    expect(theirs.body.topConsumers).toEqual([]);
    // an account that is no provider gets 404
    expect((await stranger.agent.get('/v1/provider/analytics').expect(404)).body.code).toBe('not_found');
  });

  it('answers platform totals to admins only', async () => {
    const denied = await user.user.agent.get('/v1/admin/analytics').expect(403);
    expect(denied.body.code).toBe('forbidden');
    const admin = await stack.fixtures.admin();
    const res = await admin.agent.get('/v1/admin/analytics').expect(200);
    const today = (
      res.body.days as {
        day: string;
        calls: number;
        activeProviders: number;
        activeConsumers: number;
        activeSubscriptions: number;
      }[]
    ).at(-1)!;
    expect(today.day).toBe(new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000).toISOString());
    expect(today.calls).toBeGreaterThanOrEqual(7);
    expect(today.activeProviders).toBeGreaterThanOrEqual(1);
    expect(today.activeConsumers).toBeGreaterThanOrEqual(1);
    expect(today.activeSubscriptions).toBeGreaterThanOrEqual(1);
    // the default range is the last 30 days, aligned outward to whole UTC days
    expect(res.body.days).toHaveLength(31);
  });

  it('rejects bad ranges and filters with validation_failed', async () => {
    const now = Date.now();
    const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
    const reversed = await user.user.agent
      .get(`/v1/usage?from=${iso(now)}&to=${iso(now - 3_600_000)}`)
      .expect(400);
    expect(reversed.body.code).toBe('validation_failed');
    const tooMany = await user.user.agent
      .get(`/v1/usage?from=${iso(now - 30 * 86_400_000)}&to=${iso(now)}&granularity=minute`)
      .expect(400);
    expect(tooMany.body.code).toBe('validation_failed');
    expect(tooMany.body.detail).toContain('use granularity=hour');
    const years = await user.user.agent
      .get(`/v1/usage?from=${iso(now - 5 * 365 * 86_400_000)}&to=${iso(now)}&granularity=day`)
      .expect(400);
    expect(years.body.detail).toContain('narrow from/to');
    for (const query of [
      'groupBy=api,bogus',
      'statusClass=6xx',
      'granularity=week',
      'api=not-a-uuid',
      'from=yesterday',
      'format=xml',
    ]) {
      const res = await user.user.agent.get(`/v1/usage?${query}`).expect(400);
      expect(res.body.code).toBe('validation_failed');
    }
    await user.user.agent.get('/v1/usage/requests?status=600').expect(400);
    await user.user.agent.get('/v1/usage/requests?limit=0').expect(400);
    await api.owner.user.agent
      .get(`/v1/provider/analytics?from=${iso(now)}&to=${iso(now - 1000)}`)
      .expect(400);
  });

  it('requires a session', async () => {
    const anonymous = await send(stack.api, null, 'get', '/v1/usage').expect(401);
    expect(anonymous.body.code).toBe('unauthenticated');
  });
});
