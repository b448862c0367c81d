import { PlanSubscribers, PlansService } from '@app/catalog';
import { SubscriptionsService } from '@app/subscriptions';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { signUp, startApi, type SignedUp } from './support/api-client';
import { CatalogFixtures, send, type CatalogProvider, type ListingRef } from './support/catalog-fixtures';

interface SubscriptionBody {
  id: string;
  apiId: string;
  planId: string;
  status: string;
  currentPeriodStart: string | null;
  currentPeriodEnd: string | null;
  trialEndsAt: string | null;
  cancelAtPeriodEnd: boolean;
  canceledAt: string | null;
  checkoutUrl?: string | null;
  nextStep?: string | null;
}

const DAY_MS = 86_400_000;

describe('subscriptions (HTTP)', () => {
  let app: INestApplication;
  let dataSource: DataSource;
  let fixtures: CatalogFixtures;
  let provider: CatalogProvider;
  let listing: ListingRef;
  let freePlanId: string;
  let proPlanId: string;
  let approvalPlanId: string;

  beforeAll(async () => {
    app = await startApi();
    dataSource = app.get(DataSource);
    fixtures = new CatalogFixtures(app, dataSource);
    provider = await fixtures.provider('subs-provider');
    listing = await fixtures.listing(provider);
    freePlanId = (await fixtures.defaultPlan(provider, listing.id)).id;
    proPlanId = (
      await fixtures.plan(provider, listing.id, {
        name: 'Pro',
        priceAmountMinor: 1500,
        currency: 'USD',
        quotaLimit: 50_000,
      })
    ).id;
    approvalPlanId = (await fixtures.plan(provider, listing.id, { name: 'Partner', approvalRequired: true }))
      .id;
    await send(app, provider.user, 'post', `/v1/provider/apis/${listing.id}/publish`, {}).expect(200);
  });

  afterAll(async () => {
    await app.close();
  });

  const subscribe = (user: SignedUp, planId: string) =>
    send(app, user, 'post', '/v1/subscriptions', { planId });
  const body = (res: { body: unknown }): SubscriptionBody => res.body as SubscriptionBody;

  it('activates a free plan at once with the current monthly period anchored at the start', async () => {
    const consumer = await signUp(app, 'subs-free');
    const before = Date.now();
    const sub = body(await subscribe(consumer, freePlanId).expect(201));
    expect(sub).toMatchObject({
      apiId: listing.id,
      planId: freePlanId,
      status: 'active',
      checkoutUrl: null,
      nextStep: null,
    });
    const start = Date.parse(sub.currentPeriodStart ?? '');
    const end = new Date(sub.currentPeriodEnd ?? '');
    // anchored on the start of the subscribing minute (libs/subscriptions "Anchor on a whole minute")
    expect(start % 60_000).toBe(0);
    expect(start).toBeGreaterThanOrEqual(Math.floor(before / 60_000) * 60_000);
    expect(start).toBeLessThanOrEqual(Date.now());
    expect(end.getTime() - start).toBeGreaterThanOrEqual(28 * DAY_MS);
    expect(end.getTime() - start).toBeLessThanOrEqual(31 * DAY_MS);
    expect(end.getUTCHours()).toBe(new Date(start).getUTCHours());

    const list = await send(app, consumer, 'get', '/v1/subscriptions').expect(200);
    expect((list.body as SubscriptionBody[]).map((s) => s.id)).toEqual([sub.id]);
    const one = body(await send(app, consumer, 'get', `/v1/subscriptions/${sub.id}`).expect(200));
    expect(one).toMatchObject({ id: sub.id, status: 'active', currentPeriodStart: sub.currentPeriodStart });
  });

  it('refuses a second live subscription to the same API with 409 naming the first', async () => {
    const consumer = await signUp(app, 'subs-twice');
    const first = body(await subscribe(consumer, freePlanId).expect(201));
    const res = await subscribe(consumer, proPlanId).expect(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      code: 'conflict',
      subscriptionId: first.id,
      subscriptionStatus: 'active',
    });
    expect(res.body.detail).toContain(first.id);
  });

  it('holds concurrent subscribes to one live subscription (the partial unique index)', async () => {
    const consumer = await signUp(app, 'subs-race');
    const results = await Promise.all([subscribe(consumer, freePlanId), subscribe(consumer, freePlanId)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
  });

  it('activates a paid plan at once with local payments', async () => {
    const consumer = await signUp(app, 'subs-paid');
    const sub = body(await subscribe(consumer, proPlanId).expect(201));
    expect(sub).toMatchObject({ status: 'active', checkoutUrl: null });
  });

  it('waits for the provider on an approval-required plan; approval activates it', async () => {
    const consumer = await signUp(app, 'subs-approve');
    const sub = body(await subscribe(consumer, approvalPlanId).expect(201));
    expect(sub).toMatchObject({ status: 'pending_approval', currentPeriodStart: null });
    expect(sub.nextStep).toContain('approval');

    const pending = await send(
      app,
      provider.user,
      'get',
      '/v1/provider/subscriptions?status=pending_approval',
    ).expect(200);
    expect((pending.body as SubscriptionBody[]).map((s) => s.id)).toContain(sub.id);

    const approved = body(
      await send(app, provider.user, 'post', `/v1/provider/subscriptions/${sub.id}/approve`).expect(200),
    );
    expect(approved.status).toBe('active');
    expect(approved.currentPeriodStart).not.toBeNull();
    await send(app, provider.user, 'post', `/v1/provider/subscriptions/${sub.id}/approve`).expect(409);
    expect(body(await send(app, consumer, 'get', `/v1/subscriptions/${sub.id}`).expect(200)).status).toBe(
      'active',
    );
  });

  it('a rejected request is canceled and frees the API for a new subscription', async () => {
    const consumer = await signUp(app, 'subs-reject');
    const sub = body(await subscribe(consumer, approvalPlanId).expect(201));
    const rejected = body(
      await send(app, provider.user, 'post', `/v1/provider/subscriptions/${sub.id}/reject`).expect(200),
    );
    expect(rejected).toMatchObject({ status: 'canceled' });
    expect(rejected.canceledAt).not.toBeNull();
    await subscribe(consumer, freePlanId).expect(201);
  });

  it('cancels now', async () => {
    const consumer = await signUp(app, 'subs-cancel-now');
    const sub = body(await subscribe(consumer, freePlanId).expect(201));
    const canceled = body(
      await send(app, consumer, 'post', `/v1/subscriptions/${sub.id}/cancel`, { atPeriodEnd: false }).expect(
        200,
      ),
    );
    expect(canceled).toMatchObject({ status: 'canceled', cancelAtPeriodEnd: false });
    await send(app, consumer, 'post', `/v1/subscriptions/${sub.id}/cancel`, { atPeriodEnd: false }).expect(
      409,
    );
    await subscribe(consumer, freePlanId).expect(201);
  });

  it('cancels at period end: stays active until then, and ends when the period has passed', async () => {
    const consumer = await signUp(app, 'subs-cancel-end');
    const sub = body(await subscribe(consumer, freePlanId).expect(201));
    const canceling = body(
      await send(app, consumer, 'post', `/v1/subscriptions/${sub.id}/cancel`, { atPeriodEnd: true }).expect(
        200,
      ),
    );
    expect(canceling).toMatchObject({ status: 'active', cancelAtPeriodEnd: true, canceledAt: null });
    // move the subscription's period into the past, as if a month went by
    await dataSource.query(
      `UPDATE subscriptions SET anchor = anchor - interval '40 days', current_period_start = current_period_start - interval '40 days', current_period_end = current_period_end - interval '40 days' WHERE id = $1`,
      [sub.id],
    );
    const ended = body(await send(app, consumer, 'get', `/v1/subscriptions/${sub.id}`).expect(200));
    expect(ended.status).toBe('canceled');
    expect(ended.canceledAt).toBe(
      new Date(Date.parse(canceling.currentPeriodEnd ?? '') - 40 * DAY_MS).toISOString(),
    );
  });

  it('changes plan within the API, keeping the anchor; refuses plans of other APIs and approval plans', async () => {
    const consumer = await signUp(app, 'subs-change');
    const sub = body(await subscribe(consumer, freePlanId).expect(201));
    const changed = body(
      await send(app, consumer, 'post', `/v1/subscriptions/${sub.id}/change-plan`, {
        planId: proPlanId,
      }).expect(200),
    );
    expect(changed).toMatchObject({
      id: sub.id,
      planId: proPlanId,
      status: 'active',
      currentPeriodStart: sub.currentPeriodStart,
    });
    await send(app, consumer, 'post', `/v1/subscriptions/${sub.id}/change-plan`, {
      planId: proPlanId,
    }).expect(409);
    await send(app, consumer, 'post', `/v1/subscriptions/${sub.id}/change-plan`, {
      planId: approvalPlanId,
    }).expect(409);
    // an invoice has one currency: a paid plan in another one is refused, and nothing changes
    const euroPlan = await fixtures.plan(provider, listing.id, {
      name: 'Pro EU',
      priceAmountMinor: 1400,
      currency: 'EUR',
    });
    const otherCurrency = await send(app, consumer, 'post', `/v1/subscriptions/${sub.id}/change-plan`, {
      planId: euroPlan.id,
    }).expect(409);
    expect(otherCurrency.body).toMatchObject({
      code: 'conflict',
      detail: expect.stringMatching(
        /priced in EUR and the subscription's plan in USD.*subscribe to the plan instead/,
      ),
      currency: 'EUR',
      subscriptionCurrency: 'USD',
    });
    expect(body(await send(app, consumer, 'get', `/v1/subscriptions/${sub.id}`).expect(200)).planId).toBe(
      proPlanId,
    );

    const other = await fixtures.listing(provider, { state: 'published' });
    const otherPlan = await fixtures.defaultPlan(provider, other.id);
    const res = await send(app, consumer, 'post', `/v1/subscriptions/${sub.id}/change-plan`, {
      planId: otherPlan.id,
    }).expect(400);
    expect(res.body.code).toBe('validation_failed');
  });

  it("reads a live subscription and its plan for the gateway as the consumer's and provider's reads do", async () => {
    const consumer = await signUp(app, 'subs-row-reader');
    const sub = body(await subscribe(consumer, proPlanId).expect(201));
    await send(app, consumer, 'post', `/v1/subscriptions/${sub.id}/cancel`, { atPeriodEnd: true }).expect(
      200,
    );
    // the gateway's reload reads both rows with EntityRowReader (libs/common); the other reads use TypeORM's find
    const subscriptions = app.get(SubscriptionsService);
    const live = await subscriptions.findLiveWithPlan(consumer.accountId, listing.id);
    expect(live?.subscription).toEqual(await subscriptions.get(consumer.accountId, sub.id));
    expect(live?.subscription).toMatchObject({
      id: sub.id,
      cancelAtPeriodEnd: true,
      currentPeriodEnd: expect.any(Date),
    });
    expect(live?.plan).toEqual(
      await app.get(PlansService).get(provider.user.accountId, listing.id, proPlanId),
    );
    expect(live?.plan).toMatchObject({ id: proPlanId, name: 'Pro', quotaLimit: '50000' });

    await send(app, consumer, 'post', `/v1/subscriptions/${sub.id}/cancel`, { atPeriodEnd: false }).expect(
      200,
    );
    await expect(subscriptions.findLiveWithPlan(consumer.accountId, listing.id)).resolves.toBeNull();
  });

  it("answers 404 for another account's subscription, as for a random id", async () => {
    const owner = await signUp(app, 'subs-owner');
    const stranger = await signUp(app, 'subs-stranger');
    const sub = body(await subscribe(owner, freePlanId).expect(201));
    const random = '00000000-0000-4000-8000-000000000000';
    for (const id of [sub.id, random]) {
      const res = await send(app, stranger, 'get', `/v1/subscriptions/${id}`).expect(404);
      expect(res.body.code).toBe('not_found');
      await send(app, stranger, 'post', `/v1/subscriptions/${id}/cancel`, { atPeriodEnd: false }).expect(404);
      await send(app, stranger, 'post', `/v1/subscriptions/${id}/change-plan`, { planId: proPlanId }).expect(
        404,
      );
    }
    expect(body(await send(app, owner, 'get', `/v1/subscriptions/${sub.id}`).expect(200)).status).toBe(
      'active',
    );
  });

  it("keeps provider routes to the provider's own APIs", async () => {
    const consumer = await signUp(app, 'subs-pending');
    const sub = body(await subscribe(consumer, approvalPlanId).expect(201));
    const otherProvider = await fixtures.provider('subs-other-provider');
    await send(app, otherProvider.user, 'post', `/v1/provider/subscriptions/${sub.id}/approve`).expect(404);
    await send(app, otherProvider.user, 'post', `/v1/provider/subscriptions/${sub.id}/reject`).expect(404);
    const list = await send(app, otherProvider.user, 'get', '/v1/provider/subscriptions').expect(200);
    expect(list.body).toEqual([]);
    // a consumer who is no provider, and an anonymous caller
    await send(app, consumer, 'get', '/v1/provider/subscriptions').expect(404);
    await send(app, consumer, 'post', `/v1/provider/subscriptions/${sub.id}/approve`).expect(404);
    await send(app, null, 'get', '/v1/provider/subscriptions').expect(401);
    await send(app, null, 'post', '/v1/subscriptions', { planId: freePlanId }).expect(401);
    expect(body(await send(app, consumer, 'get', `/v1/subscriptions/${sub.id}`).expect(200)).status).toBe(
      'pending_approval',
    );
  });

  it('refuses plans of unpublished APIs and unknown plans', async () => {
    const consumer = await signUp(app, 'subs-draft');
    const draft = await fixtures.listing(provider);
    const draftPlan = await fixtures.defaultPlan(provider, draft.id);
    await subscribe(consumer, draftPlan.id).expect(404);
    await subscribe(consumer, '00000000-0000-4000-8000-000000000000').expect(404);
    await subscribe(consumer, 'not-a-uuid').expect(400);
    // the owner sees its draft, but a draft takes no subscriptions
    const res = await subscribe(provider.user, draftPlan.id).expect(409);
    expect(res.body.apiStatus).toBe('draft');
  });

  it('versions a plan with subscribers when its price changes; the subscriber keeps the old plan', async () => {
    const own = await fixtures.listing(provider, { state: 'published' });
    const planId = (
      await fixtures.plan(provider, own.id, {
        name: 'Starter',
        priceAmountMinor: 500,
        currency: 'USD',
        quotaLimit: 1000,
      })
    ).id;
    const consumer = await signUp(app, 'subs-version');
    const sub = body(await subscribe(consumer, planId).expect(201));
    // the port answers from the subscriptions table
    await dataSource.transaction(async (manager) => {
      expect(await app.get(PlanSubscribers).has(planId, manager)).toBe(true);
    });

    const res = await send(app, provider.user, 'patch', `/v1/provider/apis/${own.id}/plans/${planId}`, {
      priceAmountMinor: 900,
    }).expect(200);
    expect(res.body).toMatchObject({ outcome: 'versioned', previousPlanId: planId });
    expect(res.body.plan.id).not.toBe(planId);
    expect(body(await send(app, consumer, 'get', `/v1/subscriptions/${sub.id}`).expect(200)).planId).toBe(
      planId,
    );
  });

  it('validates bodies and ids with problem documents', async () => {
    const consumer = await signUp(app, 'subs-bad');
    const sub = body(await subscribe(consumer, freePlanId).expect(201));
    for (const bad of [{}, { atPeriodEnd: 'yes' }]) {
      const res = await send(app, consumer, 'post', `/v1/subscriptions/${sub.id}/cancel`, bad).expect(400);
      expect(res.body.code).toBe('validation_failed');
    }
    await send(app, consumer, 'get', '/v1/subscriptions/nope').expect(400);
    await send(app, provider.user, 'get', '/v1/provider/subscriptions?status=bogus').expect(400);
  });
});
