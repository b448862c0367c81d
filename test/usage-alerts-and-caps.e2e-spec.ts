import { queuedUsageEvents } from '@app/common/testing';
import { UsageControlsService } from '@app/subscriptions';
import type { INestApplication } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request as undiciRequest } from 'undici';
import { createWorkerApp } from '../apps/worker/src/bootstrap';
import { MeteringProcessor } from '../apps/worker/src/processors/metering.processor';
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
  type UsageBatch,
} from './support/gateway-stack';
import { until } from './support/until';

/**
 * Issue 5 "Alerts and caps" through the real api, gateway and worker processor: a soft-quota paid
 * plan (quota 2 units, overage 25 minor units a unit), alerts at 50 % / 100 % of the quota and at
 * 50 of overage, a spend cap of 50. Calls go through the gateway to a node:http upstream on
 * loopback; the gateway's queued usage batches are applied by the worker's MeteringProcessor.
 */

const METERED = {
  name: 'Metered',
  priceAmountMinor: 1000,
  currency: 'USD',
  quotaLimit: 2,
  quotaMode: 'soft',
  overageUnitPriceMinor: '25',
  rateLimit: { perSecond: 100, burst: 100 },
};

interface Problem {
  code: string;
  detail: string;
  capAmountMinor: number;
  currency: string;
  periodEnd: string;
  retryAfter: number;
  manageUrl: string;
}

describe('usage alerts and spend caps', () => {
  let stack: GatewayStack;
  let upstream: Server;
  let worker: INestApplication;
  let processor: MeteringProcessor;
  let api: PublishedApi;
  let owner: Consumer;
  let stranger: Consumer;
  let liveKey: string;
  let subscriptionId: string;
  let periodEnd: string;
  /** The batches that carried this suite's calls, as the worker received them. */
  const applied = new Map<string, UsageBatch>();

  const call = async (): Promise<{ status: number; headers: Record<string, unknown>; body: string }> => {
    const res = await undiciRequest(`${stack.gatewayUrl}/${api.slug}/echo`, {
      headers: { 'x-portico-key': liveKey },
    });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  };

  /** Waits until the gateway queued batches holding `requestIds`, then applies every batch of this subscription not applied yet. */
  const applyQueuedUsage = async (requestIds: string[]): Promise<void> => {
    const batches = (await queuedUsageBatches(stack, requestIds)).filter((batch) =>
      queuedUsageEvents(batch).some((event) => event.subscriptionId === subscriptionId),
    );
    for (const batch of batches) {
      if (applied.has(batch.batchId)) continue;
      await processor.applyUsageBatch(batch);
      applied.set(batch.batchId, batch);
    }
  };

  const notifications = async (who: Consumer) =>
    (await send(stack.api, who.user, 'get', '/v1/notifications').expect(200)).body as {
      items: {
        id: string;
        type: string;
        title: string;
        body: string;
        data: Record<string, unknown>;
        readAt: string | null;
        createdAt: string;
      }[];
      unreadCount: number;
    };

  const firings = async (): Promise<string[]> =>
    (
      await stack.db.query<{ alert: string }[]>(
        'SELECT alert FROM usage_alert_firings WHERE subscription_id = $1 ORDER BY alert',
        [subscriptionId],
      )
    ).map((row) => row.alert);

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    stack = await startGatewayStack({ PAYMENTS: 'local' });
    // the worker's processors on the same stores, without starting its queue consumers (other suites share the run's queues)
    worker = await createWorkerApp(stack.env);
    processor = worker.get(MeteringProcessor);
    api = await publishUpstreamApi(stack, { liveUrl: origin, plans: [METERED] });
    owner = await consumer(stack, 'capc');
    stranger = await consumer(stack, 'caps');
    liveKey = await createKey(stack, owner);
    const sub = await subscribe(stack, owner, api.planIds[1]);
    expect(sub.status).toBe('active');
    subscriptionId = sub.id;
    // metering counts a minute in the period holding its first instant (libs/metering README "Time"), so
    // calls in the minute the subscription started fall before its first period, for billing and
    // alerts alike: start the subscription two minutes ago, before the gateway first loads it
    await stack.db.query(
      `UPDATE subscriptions SET anchor = anchor - interval '2 minutes',
         current_period_start = current_period_start - interval '2 minutes',
         current_period_end = current_period_end - interval '2 minutes'
       WHERE id = $1`,
      [subscriptionId],
    );
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await stack?.close();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('stores alerts and a cap for the owner only; anonymous 401, another account 404, bad input 400', async () => {
    const alerts = await send(stack.api, owner.user, 'put', `/v1/subscriptions/${subscriptionId}/alerts`, {
      quotaPercents: [100, 50, 50],
      overageAmountsMinor: [50],
    }).expect(200);
    expect(alerts.body).toEqual({
      subscriptionId,
      quotaPercents: [50, 100],
      overageAmountsMinor: [50],
      currency: 'USD',
      firedThisPeriod: [],
    });
    const cap = await send(stack.api, owner.user, 'put', `/v1/subscriptions/${subscriptionId}/spend-cap`, {
      amountMinor: 50,
    }).expect(200);
    expect(cap.body).toMatchObject({
      subscriptionId,
      amountMinor: 50,
      currency: 'USD',
      reached: false,
      overageUnits: 0,
      overageCostMinor: 0,
    });
    periodEnd = cap.body.currentPeriodEnd as string;
    expect(new Date(periodEnd).getTime()).toBeGreaterThan(Date.now());
    expect(
      (await send(stack.api, owner.user, 'get', `/v1/subscriptions/${subscriptionId}/alerts`).expect(200))
        .body.quotaPercents,
    ).toEqual([50, 100]);

    const routes: [method: 'get' | 'put', path: string, body?: unknown][] = [
      ['get', `/v1/subscriptions/${subscriptionId}/alerts`],
      ['put', `/v1/subscriptions/${subscriptionId}/alerts`, { quotaPercents: [], overageAmountsMinor: [] }],
      ['get', `/v1/subscriptions/${subscriptionId}/spend-cap`],
      ['put', `/v1/subscriptions/${subscriptionId}/spend-cap`, { amountMinor: null }],
    ];
    for (const [method, path, body] of routes) {
      const foreign = await send(stack.api, stranger.user, method, path, body);
      expect({ path, method, status: foreign.status, code: foreign.body.code }).toEqual({
        path,
        method,
        status: 404,
        code: 'not_found',
      });
      const anonymous = await send(stack.api, null, method, path, body);
      expect({ path, method, status: anonymous.status }).toEqual({ path, method, status: 401 });
    }
    expect((await send(stack.api, null, 'get', '/v1/notifications')).status).toBe(401);
    expect(
      (await send(stack.api, null, 'post', '/v1/notifications/00000000-0000-4000-8000-000000000000/read'))
        .status,
    ).toBe(401);

    const bad: [path: string, body: unknown][] = [
      [`/v1/subscriptions/${subscriptionId}/alerts`, { quotaPercents: [0], overageAmountsMinor: [] }],
      [`/v1/subscriptions/${subscriptionId}/alerts`, { quotaPercents: [50.5], overageAmountsMinor: [] }],
      [`/v1/subscriptions/${subscriptionId}/alerts`, { quotaPercents: '50', overageAmountsMinor: [] }],
      [`/v1/subscriptions/${subscriptionId}/alerts`, { quotaPercents: [50] }],
      [
        `/v1/subscriptions/${subscriptionId}/alerts`,
        { quotaPercents: Array.from({ length: 11 }, (_, i) => i + 1), overageAmountsMinor: [] },
      ],
      [`/v1/subscriptions/${subscriptionId}/alerts`, { quotaPercents: [], overageAmountsMinor: [0] }],
      [`/v1/subscriptions/${subscriptionId}/spend-cap`, {}],
      [`/v1/subscriptions/${subscriptionId}/spend-cap`, { amountMinor: -1 }],
      [`/v1/subscriptions/${subscriptionId}/spend-cap`, { amountMinor: 1.5 }],
      [`/v1/subscriptions/${subscriptionId}/spend-cap`, { amountMinor: '50' }],
      [`/v1/subscriptions/not-a-uuid/spend-cap`, { amountMinor: 5 }],
    ];
    for (const [path, body] of bad) {
      const res = await send(stack.api, owner.user, 'put', path, body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({
        body,
        status: 400,
        code: 'validation_failed',
      });
    }
    const badQuery = await send(stack.api, owner.user, 'get', '/v1/notifications?limit=0');
    expect([badQuery.status, badQuery.body.code]).toEqual([400, 'validation_failed']);
    // the stored settings are unchanged by every refused request
    expect(
      (await send(stack.api, owner.user, 'get', `/v1/subscriptions/${subscriptionId}/spend-cap`).expect(200))
        .body.amountMinor,
    ).toBe(50);
  });

  it('fires each alert once, caps the spend, refuses live calls with spend_cap_reached, and lifts the cap when raised', async () => {
    // 4 live calls: 2 units within the quota, 2 units of overage at 25 = 50 = the cap
    const requestIds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await call();
      expect(res.status).toBe(200);
      requestIds.push(res.headers['x-portico-request-id'] as string);
    }
    await applyQueuedUsage(requestIds);

    const listed = await notifications(owner);
    expect(listed.unreadCount).toBe(4);
    expect(listed.items.map((n) => [n.type, n.data.alert]).sort()).toEqual(
      [
        ['usage.overage_threshold', 'overage:50'],
        ['usage.quota_threshold', 'quota:100'],
        ['usage.quota_threshold', 'quota:50'],
        ['usage.spend_cap_reached', 'spend_cap:50'],
      ].sort(),
    );
    const capNotice = listed.items.find((n) => n.type === 'usage.spend_cap_reached')!;
    expect(capNotice.title).toBe('Spend cap of USD 0.50 reached on Metered');
    expect(capNotice.body).toContain(`PUT /v1/subscriptions/${subscriptionId}/spend-cap`);
    expect(capNotice.data).toMatchObject({
      subscriptionId,
      apiId: api.id,
      capAmountMinor: 50,
      overageUnits: 2,
      overageCostMinor: 50,
      periodEnd,
    });
    const full = listed.items.find((n) => n.data.alert === 'quota:100')!;
    expect(full.data).toMatchObject({ threshold: 100, quotaLimit: 2 });
    expect(full.data.usedUnits).toBeGreaterThanOrEqual(2);
    expect(await firings()).toEqual(['overage:50', 'quota:100', 'quota:50', 'spend_cap:50']);
    expect((await notifications(stranger)).items).toEqual([]);

    // redelivery of every batch (and a second evaluation): nothing counts or fires twice
    for (const batch of applied.values())
      await expect(processor.applyUsageBatch(batch)).resolves.toMatchObject({ applied: false, counted: 0 });
    expect(await firings()).toEqual(['overage:50', 'quota:100', 'quota:50', 'spend_cap:50']);
    expect((await notifications(owner)).items).toHaveLength(4);
    const alerts = await send(
      stack.api,
      owner.user,
      'get',
      `/v1/subscriptions/${subscriptionId}/alerts`,
    ).expect(200);
    expect(alerts.body.firedThisPeriod).toEqual(['overage:50', 'quota:100', 'quota:50', 'spend_cap:50']);
    const state = await send(
      stack.api,
      owner.user,
      'get',
      `/v1/subscriptions/${subscriptionId}/spend-cap`,
    ).expect(200);
    expect(state.body).toMatchObject({
      amountMinor: 50,
      reached: true,
      overageUnits: 2,
      overageCostMinor: 50,
    });

    // the gateway dropped its cached subscription on the announcement: the next live call is refused
    const refused = await until(call, (res) => res.status === 429, 1_000);
    const problem = JSON.parse(refused.body) as Problem;
    expect(problem).toMatchObject({
      code: 'spend_cap_reached',
      capAmountMinor: 50,
      currency: 'USD',
      periodEnd,
    });
    expect(problem.manageUrl).toBe(`http://localhost:3000/subscriptions/${subscriptionId}`);
    expect(problem.detail).toContain('USD 0.50');
    expect(problem.detail).toContain(periodEnd);
    expect(problem.detail).toContain(`PUT /v1/subscriptions/${subscriptionId}/spend-cap`);
    const secondsToEnd = (new Date(periodEnd).getTime() - Date.now()) / 1000;
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(secondsToEnd - 5);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(Math.ceil(secondsToEnd) + 1);
    expect(problem.retryAfter).toBe(Number(refused.headers['retry-after']));
    expect(refused.headers['x-portico-generated']).toBe('true');

    // refused calls are not billed: applying their usage changes neither the overage nor the alerts
    await applyQueuedUsage([refused.headers['x-portico-request-id'] as string]);
    expect(
      (await send(stack.api, owner.user, 'get', `/v1/subscriptions/${subscriptionId}/spend-cap`).expect(200))
        .body,
    ).toMatchObject({ overageUnits: 2, reached: true });
    expect(await firings()).toHaveLength(4);

    // raising the cap restores access within a second
    const raised = await send(stack.api, owner.user, 'put', `/v1/subscriptions/${subscriptionId}/spend-cap`, {
      amountMinor: 100,
    }).expect(200);
    expect(raised.body).toMatchObject({ amountMinor: 100, reached: false, overageCostMinor: 50 });
    const admitted = await until(call, (res) => res.status === 200, 1_000);
    expect(admitted.status).toBe(200);
  });

  it('fires an alert once when two processes evaluate it at the same time', async () => {
    // an alert already crossed (overage cost 50 ≥ 25), stored without the API's own evaluation
    await stack.db.query(
      `UPDATE subscription_usage_controls SET overage_alert_amounts_minor = '{25,50}' WHERE subscription_id = $1`,
      [subscriptionId],
    );
    const outcomes = await Promise.all([
      stack.api.get(UsageControlsService).evaluate([subscriptionId]),
      worker.get(UsageControlsService).evaluate([subscriptionId]),
      processor.applyUsageBatch([...applied.values()][0]),
    ]);
    expect(outcomes[0].fired + outcomes[1].fired).toBeLessThanOrEqual(1);
    expect(await firings()).toEqual(['overage:25', 'overage:50', 'quota:100', 'quota:50', 'spend_cap:50']);
    expect((await notifications(owner)).items.filter((n) => n.data.alert === 'overage:25')).toHaveLength(1);
  });

  it('re-caps at once when the cap is lowered below the overage already billed, and removing it lifts it', async () => {
    const lowered = await send(
      stack.api,
      owner.user,
      'put',
      `/v1/subscriptions/${subscriptionId}/spend-cap`,
      { amountMinor: 25 },
    ).expect(200);
    expect(lowered.body).toMatchObject({ amountMinor: 25, reached: true });
    expect((await until(call, (res) => res.status === 429, 1_000)).status).toBe(429);
    expect(
      (await notifications(owner)).items
        .filter((n) => n.type === 'usage.spend_cap_reached')
        .map((n) => n.data.alert)
        .sort(),
    ).toEqual(['spend_cap:25', 'spend_cap:50']);
    const removed = await send(
      stack.api,
      owner.user,
      'put',
      `/v1/subscriptions/${subscriptionId}/spend-cap`,
      { amountMinor: null },
    ).expect(200);
    expect(removed.body).toMatchObject({ amountMinor: null, reached: false });
    expect((await until(call, (res) => res.status === 200, 1_000)).status).toBe(200);
  });

  it('lists notifications newest first with the unread count; marking read is owner-only and idempotent', async () => {
    const before = await notifications(owner);
    const [newest, ...rest] = before.items;
    expect(before.items).toHaveLength(6);
    expect(newest.data.alert).toBe('spend_cap:25');
    const times = before.items.map((n) => n.createdAt);
    expect([...times].sort().reverse()).toEqual(times);

    expect((await send(stack.api, stranger.user, 'post', `/v1/notifications/${newest.id}/read`)).status).toBe(
      404,
    );
    const read = await send(stack.api, owner.user, 'post', `/v1/notifications/${newest.id}/read`).expect(200);
    expect(read.body.readAt).not.toBeNull();
    const again = await send(stack.api, owner.user, 'post', `/v1/notifications/${newest.id}/read`).expect(
      200,
    );
    expect(again.body.readAt).toBe(read.body.readAt);
    const after = await notifications(owner);
    expect(after.unreadCount).toBe(before.unreadCount - 1);
    const unread = await send(stack.api, owner.user, 'get', '/v1/notifications?unread=true&limit=2').expect(
      200,
    );
    expect(unread.body.items).toHaveLength(2);
    expect(unread.body.items.every((n: { readAt: string | null }) => n.readAt === null)).toBe(true);
    // the next page: created before the newest one
    const page = await send(
      stack.api,
      owner.user,
      'get',
      `/v1/notifications?before=${encodeURIComponent(newest.createdAt)}`,
    ).expect(200);
    expect(page.body.items.map((n: { id: string }) => n.id)).toEqual(
      rest.filter((n) => n.createdAt < newest.createdAt).map((n) => n.id),
    );
    expect(page.body.items.length).toBeGreaterThan(0);
  });
});
