import { EventBus } from '@app/common';
import { SUBSCRIPTION_CHANGED_EVENT } from '@app/subscriptions';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createWorkerApp } from '../apps/worker/src/bootstrap';
import { FakeStripe, type FakeStripeEvent } from './fakes/stripe.fake';
import { signUp, type SignedUp } from './support/api-client';
import { CatalogFixtures, send, type CatalogProvider, type ListingRef } from './support/catalog-fixtures';
import { startIsolatedApi, type IsolatedApi } from './support/isolated-api';
import { until } from './support/until';

const PUBLIC_URL = 'http://localhost:3000';

interface SubscriptionBody {
  id: string;
  apiId: string;
  planId: string;
  status: string;
  currentPeriodStart: string | null;
  currentPeriodEnd: string | null;
  updatedAt: string;
  checkoutUrl?: string | null;
  nextStep?: string | null;
}

interface InboxRow {
  processed_at: Date | null;
  attempts: number;
  last_error: string | null;
}

describe('paid subscriptions through Stripe Checkout (PAYMENTS=stripe, against a fake Stripe)', () => {
  let stripe: FakeStripe;
  let api: IsolatedApi;
  let worker: INestApplication;
  let dataSource: DataSource;
  let fixtures: CatalogFixtures;
  let provider: CatalogProvider;
  let accountId: string;
  let listing: ListingRef;
  let paidPlanId: string;

  const deliver = (event: FakeStripeEvent) => {
    const { body, signature } = stripe.signedDelivery(event);
    return request(api.app.getHttpServer())
      .post('/v1/webhooks/stripe')
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', signature)
      .send(body);
  };

  const inboxRow = async (eventId: string): Promise<InboxRow | undefined> =>
    (
      await dataSource.query<InboxRow[]>(
        'SELECT processed_at, attempts, last_error FROM stripe_events WHERE id = $1',
        [eventId],
      )
    )[0];

  const processed = (eventId: string): Promise<InboxRow | undefined> =>
    until(
      () => inboxRow(eventId),
      (row) => row !== undefined && row.processed_at !== null,
    );

  const subscribe = (user: SignedUp, planId: string) =>
    send(api.app, user, 'post', '/v1/subscriptions', { planId });
  const getSubscription = async (user: SignedUp, id: string): Promise<SubscriptionBody> =>
    (await send(api.app, user, 'get', `/v1/subscriptions/${id}`).expect(200)).body as SubscriptionBody;
  const checkoutRequestsFor = (subscriptionId: string) =>
    stripe
      .requestsTo('POST', '/v1/checkout/sessions')
      .filter((r) => r.body.client_reference_id === subscriptionId);

  beforeAll(async () => {
    stripe = await FakeStripe.start();
    api = await startIsolatedApi('stripe-checkout', { ...stripe.env, PUBLIC_URL });
    worker = await createWorkerApp({
      ...process.env,
      ...stripe.env,
      PUBLIC_URL,
      REDIS_PREFIX: api.redisPrefix,
    });
    await worker.init();
    dataSource = api.app.get(DataSource);
    fixtures = new CatalogFixtures(api.app, dataSource);

    // a provider onboarded the real way: connected account, Stripe enables it, account.updated → worker
    provider = await fixtures.provider('checkout-provider', 'not_started');
    await send(api.app, provider.user, 'post', '/v1/provider/payouts/onboarding-link').expect(200);
    accountId = [...stripe.objects.accounts.values()].find(
      (a) => a.metadata.providerId === provider.providerId,
    )!.id;
    stripe.completeOnboarding(accountId);
    const updated = stripe.accountUpdatedEvent(accountId);
    await deliver(updated).expect(200);
    await processed(updated.id);
    await until(
      async () => (await send(api.app, provider.user, 'get', '/v1/provider/payouts').expect(200)).body,
      (body: { status: string }) => body.status === 'ready',
    );

    listing = await fixtures.listing(provider);
    paidPlanId = (
      await fixtures.plan(provider, listing.id, {
        name: 'Pro',
        priceAmountMinor: 1500,
        currency: 'USD',
        quotaLimit: 50_000,
      })
    ).id;
    await send(api.app, provider.user, 'post', `/v1/provider/apis/${listing.id}/publish`, {}).expect(200);
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await stripe?.close();
  });

  it('answers an incomplete subscription with a Checkout URL; the paid webhook activates it once, a replay changes nothing', async () => {
    const consumer = await signUp(api.app, 'checkout-consumer');
    const res = await subscribe(consumer, paidPlanId).expect(201);
    const sub = res.body as SubscriptionBody;
    expect(sub).toMatchObject({
      apiId: listing.id,
      planId: paidPlanId,
      status: 'incomplete',
      currentPeriodStart: null,
      currentPeriodEnd: null,
    });
    expect(sub.nextStep).toContain('checkoutUrl');

    // Stripe saw one Checkout Session with the plan's price, the 20 % fee and the provider as destination
    const sent = checkoutRequestsFor(sub.id);
    expect(sent).toHaveLength(1);
    expect(sent[0].idempotencyKey).toBe(`portico:checkout-session:${sub.id}`);
    expect(sent[0].body).toEqual({
      mode: 'subscription',
      line_items: [
        {
          quantity: '1',
          price_data: {
            currency: 'usd',
            unit_amount: '1500',
            recurring: { interval: 'month' },
            product_data: { name: expect.stringContaining('Pro') },
          },
        },
      ],
      client_reference_id: sub.id,
      metadata: { subscriptionId: sub.id },
      customer_email: consumer.email,
      subscription_data: {
        application_fee_percent: '20',
        transfer_data: { destination: accountId },
        metadata: { subscriptionId: sub.id },
      },
      success_url: `${PUBLIC_URL}/subscriptions/${sub.id}?checkout=success`,
      cancel_url: `${PUBLIC_URL}/subscriptions/${sub.id}?checkout=canceled`,
    });
    const session = [...stripe.objects.checkoutSessions.values()].find(
      (s) => s.client_reference_id === sub.id,
    )!;
    expect(session.id).toMatch(/^cs_test_/);
    expect(sub.checkoutUrl).toBe(session.url);

    // the page again (a lost tab): the same session, replayed by Stripe under the same key
    const again = await send(api.app, consumer, 'post', `/v1/subscriptions/${sub.id}/checkout`).expect(200);
    expect(again.body).toEqual({ checkoutUrl: session.url });
    expect(checkoutRequestsFor(sub.id).map((r) => r.replayed)).toEqual([false, true]);
    expect(stripe.objects.checkoutSessions.size).toBe(
      new Set([...stripe.objects.checkoutSessions.values()].map((s) => s.client_reference_id)).size,
    );

    // no access until paid; a second subscribe is refused while this one is live
    expect((await getSubscription(consumer, sub.id)).status).toBe('incomplete');
    await subscribe(consumer, paidPlanId).expect(409);

    // the consumer pays; Stripe sends checkout.session.completed; the worker activates the subscription
    const announced: string[] = [];
    const stopListening = await api.app
      .get(EventBus)
      .subscribe(SUBSCRIPTION_CHANGED_EVENT, (message) => announced.push(message));
    const paidAt = Date.now();
    const event = stripe.checkoutSessionCompletedEvent(session.id);
    await deliver(event).expect(200, { received: true });
    expect((await processed(event.id))?.attempts).toBe(1);
    const active = await getSubscription(consumer, sub.id);
    expect(active.status).toBe('active');
    // periods are anchored on the start of the minute of payment (libs/subscriptions anchorAt)
    expect(Date.parse(active.currentPeriodStart ?? '')).toBeGreaterThanOrEqual(Math.floor(paidAt / 60_000) * 60_000 - 60_000);
    expect(Date.parse(active.currentPeriodEnd ?? '')).toBeGreaterThan(
      Date.parse(active.currentPeriodStart ?? ''),
    );
    const paid = stripe.checkoutSession(session.id);
    const [ids] = await dataSource.query<{ stripe_customer_id: string; stripe_subscription_id: string }[]>(
      'SELECT stripe_customer_id, stripe_subscription_id FROM subscriptions WHERE id = $1',
      [sub.id],
    );
    expect(ids).toEqual({ stripe_customer_id: paid.customer, stripe_subscription_id: paid.subscription });
    await until(
      () => Promise.resolve(announced),
      (messages) => messages.includes(`${consumer.accountId}:${listing.id}`),
    );
    stopListening();

    // the same delivery again, and the same completion under a new event id: nothing changes
    await deliver(event).expect(200, { received: true });
    const duplicate = stripe.event('checkout.session.completed', { ...event.data.object });
    await deliver(duplicate).expect(200);
    await processed(duplicate.id);
    expect(await inboxRow(event.id)).toMatchObject({ attempts: 1, last_error: null });
    expect(await getSubscription(consumer, sub.id)).toEqual(active);
    // a checkout that finished is no longer open to pay
    const closed = await send(api.app, consumer, 'post', `/v1/subscriptions/${sub.id}/checkout`).expect(409);
    expect(closed.body.code).toBe('conflict');
  });

  it('refuses a paid plan whose provider has no connected account with 409, storing nothing and calling no Stripe', async () => {
    const unpaid = await fixtures.provider('checkout-no-account', 'ready');
    const own = await fixtures.listing(unpaid);
    const planId = (
      await fixtures.plan(unpaid, own.id, {
        name: 'Gold',
        priceAmountMinor: 900,
        currency: 'EUR',
        quotaLimit: 100,
      })
    ).id;
    await send(api.app, unpaid.user, 'post', `/v1/provider/apis/${own.id}/publish`, {}).expect(200);
    const before = stripe.requestsTo('POST', '/v1/checkout/sessions').length;

    const consumer = await signUp(api.app, 'checkout-refused');
    const res = await subscribe(consumer, planId).expect(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.code).toBe('conflict');
    expect(res.body.detail).toContain('cannot take payments yet');
    expect((await send(api.app, consumer, 'get', '/v1/subscriptions').expect(200)).body).toEqual([]);
    expect(stripe.requestsTo('POST', '/v1/checkout/sessions')).toHaveLength(before);

    // free plans of the same provider still subscribe at once
    const free = (await fixtures.defaultPlan(unpaid, own.id)).id;
    const freeSub = (await subscribe(consumer, free).expect(201)).body as SubscriptionBody;
    expect(freeSub).toMatchObject({ status: 'active', checkoutUrl: null });
  });

  it('when Stripe refuses the Checkout Session: 502, the subscription expires and the consumer can subscribe again', async () => {
    const consumer = await signUp(api.app, 'checkout-stripe-down');
    stripe.failNext('POST', '/v1/checkout/sessions', 400, {
      type: 'invalid_request_error',
      message: 'Your account cannot currently make live charges.',
    });
    const refused = await subscribe(consumer, paidPlanId).expect(502);
    expect(refused.body.code).toBe('payments_provider_error');
    expect(refused.body.detail).toContain('cannot currently make live charges');
    const [first] = (await send(api.app, consumer, 'get', '/v1/subscriptions').expect(200))
      .body as SubscriptionBody[];
    expect(first.status).toBe('expired');

    const retried = (await subscribe(consumer, paidPlanId).expect(201)).body as SubscriptionBody;
    expect(retried.id).not.toBe(first.id);
    expect(retried).toMatchObject({
      status: 'incomplete',
      checkoutUrl: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\//),
    });
  });

  it('ignores completed checkouts that are not Portico subscriptions, and marks unknown subscriptions processed without effect', async () => {
    const foreign = stripe.event('checkout.session.completed', {
      id: 'cs_test_foreign',
      object: 'checkout.session',
      mode: 'payment',
      payment_status: 'paid',
      client_reference_id: 'order-42',
    });
    const unknown = stripe.event('checkout.session.completed', {
      id: 'cs_test_unknown',
      object: 'checkout.session',
      mode: 'subscription',
      payment_status: 'paid',
      client_reference_id: '00000000-0000-4000-8000-000000000000',
      customer: 'cus_x',
      subscription: 'sub_x',
    });
    for (const event of [foreign, unknown]) {
      await deliver(event).expect(200);
      expect(await processed(event.id)).toMatchObject({ attempts: 1, last_error: null });
    }
  });
});
