import {
  BillingFaults,
  DisputeShareReversals,
  DunningService,
  InvoicesService,
  ReconciliationService,
  RefundsService,
  StripeSubscriptionChanges,
  UsageReporter,
} from '@app/billing';
import { JobQueue, type UsageEvent } from '@app/common';
import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createWorkerApp } from '../apps/worker/src/bootstrap';
import { FakeStripe, type FakeStripeEvent } from './fakes/stripe.fake';
import { signUp, type SignedUp } from './support/api-client';
import { CatalogFixtures, send, type CatalogProvider } from './support/catalog-fixtures';
import { startIsolatedApi, type IsolatedApi } from './support/isolated-api';
import { until } from './support/until';

const PUBLIC_URL = 'http://localhost:3000';
/** Short dunning for the test: 3 s of grace, retries 1 s and 4 s after the first failure. */
const DUNNING = { DUNNING_GRACE_PERIOD: '3s', DUNNING_RETRY_SCHEDULE: '1s,4s' };

interface InvoiceRow {
  id: string;
  status: string;
  total_amount_minor: string;
  fee_amount_minor: string;
  provider_share_amount_minor: string;
  stripe_invoice_id: string | null;
  payment_reference: string | null;
}

/**
 * PAYMENTS=stripe end to end against the Stripe fake with the real SDK: Checkout with the metered
 * overage price, the webhook activating the subscription, usage reported per window with
 * deterministic identifiers, Stripe's invoices mirrored into the ledger with the 20 % fee, partial
 * refunds with reverse_transfer, out-of-order and duplicated webhooks, a crash between the Stripe
 * call and the commit, dunning, credit notes on open invoices, reconciliation.
 */
describe('billing on Stripe (PAYMENTS=stripe, against a fake Stripe)', () => {
  let stripe: FakeStripe;
  let api: IsolatedApi;
  let worker: INestApplication;
  let db: DataSource;
  let fixtures: CatalogFixtures;
  let provider: CatalogProvider;
  let admin: SignedUp;
  let accountId: string;
  let apiId: string;
  let planId: string;
  /** Same API: a dearer soft plan with another overage price, and a free one. */
  let proPlanId: string;
  let freePlanId: string;

  const deliver = (event: FakeStripeEvent) => {
    const { body, signature } = stripe.signedDelivery(event);
    return request(api.app.getHttpServer())
      .post('/v1/webhooks/stripe')
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', signature)
      .send(body)
      .expect(200);
  };
  const processed = (eventId: string) =>
    until(
      async () =>
        (await db.query<{ processed_at: Date | null; last_error: string | null }[]>(
          'SELECT processed_at, last_error FROM stripe_events WHERE id = $1',
          [eventId],
        ))[0],
      (row) => row !== undefined && row.processed_at !== null,
    );
  const deliverAndApply = async (event: FakeStripeEvent) => {
    await deliver(event);
    await processed(event.id);
  };
  const invoicesOf = (subscriptionId: string) =>
    db.query<InvoiceRow[]>(
      `SELECT id, status, total_amount_minor::text, fee_amount_minor::text, provider_share_amount_minor::text, stripe_invoice_id,
              payment_reference FROM invoices WHERE subscription_id = $1 AND kind = 'invoice' ORDER BY period_start`,
      [subscriptionId],
    );
  const statusOf = async (subscriptionId: string) =>
    (await db.query<{ status: string; payment_grace_ends_at: Date | null }[]>(
      'SELECT status, payment_grace_ends_at FROM subscriptions WHERE id = $1',
      [subscriptionId],
    ))[0];
  const unbalanced = async () =>
    (await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM (SELECT transaction_id, currency FROM ledger_entries GROUP BY 1, 2 HAVING SUM(amount_minor) <> 0) t`,
    ))[0].n;

  /** Σ of each ledger account over an invoice and its credit notes. */
  const balancesOf = async (invoiceId: string) =>
    Object.fromEntries(
      (
        await db.query<{ account: string; sum: string }[]>(
          `SELECT e.account, SUM(e.amount_minor)::text AS sum FROM ledger_entries e
           WHERE e.invoice_id = $1 OR e.invoice_id IN (SELECT id FROM invoices WHERE credits_invoice_id = $1)
           GROUP BY e.account`,
          [invoiceId],
        )
      ).map((r) => [r.account, r.sum]),
    );
  const postingOf = async (reference: string) =>
    Object.fromEntries(
      (
        await db.query<{ account: string; amount: string }[]>(
          `SELECT e.account, e.amount_minor::text AS amount FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
           WHERE t.reference = $1`,
          [reference],
        )
      ).map((r) => [r.account, r.amount]),
    );

  /** Subscribes a new consumer through Checkout and pays it; the webhook activates it. */
  /**
   * `calls` calls of the consumer at `at`, the last `overage` of them over the soft quota, applied by
   * the worker from one usage batch; resolves once the rollups hold them.
   */
  async function applyUsage(consumer: SignedUp, subscriptionId: string, at: Date, calls: number, overage: number): Promise<void> {
    const before = await overageOf(subscriptionId);
    const events: UsageEvent[] = Array.from({ length: calls }, (_, i) => ({
      requestId: randomUUID(),
      at: at.toISOString(),
      keyId: randomUUID(),
      keyPrefix: 'mp_live_…abcd',
      applicationId: randomUUID(),
      consumerAccountId: consumer.accountId,
      apiId,
      subscriptionId,
      planId,
      endpointId: null,
      method: 'GET',
      status: 200,
      latencyMs: 5,
      bytesIn: 0,
      bytesOut: 10,
      mode: 'live',
      billableUnits: 1,
      overageUnits: i >= calls - overage ? 1 : 0,
      generated: false,
      errorCode: null,
    }));
    const batchId = randomUUID();
    await api.app.get(JobQueue).enqueue('metering.apply-usage-batch', { batchId, events }, { jobId: `usage-${batchId}` });
    await until(
      () => overageOf(subscriptionId),
      (o) => o === before + overage,
    );
  }

  async function overageOf(subscriptionId: string): Promise<number> {
    const [row] = await db.query<{ o: string }[]>(
      'SELECT COALESCE(SUM(overage_units), 0)::text AS o FROM usage_minute_rollups WHERE subscription_id = $1',
      [subscriptionId],
    );
    return Number(row.o);
  }

  async function paidSubscription(tag: string): Promise<{ consumer: SignedUp; subscriptionId: string; stripeSub: string; customer: string }> {
    const consumer = await signUp(api.app, tag);
    const res = await send(api.app, consumer, 'post', '/v1/subscriptions', { planId }).expect(201);
    const subscriptionId = res.body.id as string;
    const session = [...stripe.objects.checkoutSessions.values()].find((s) => s.client_reference_id === subscriptionId)!;
    await deliverAndApply(stripe.checkoutSessionCompletedEvent(session.id));
    const completed = stripe.checkoutSession(session.id);
    return { consumer, subscriptionId, stripeSub: completed.subscription!, customer: completed.customer! };
  }

  beforeAll(async () => {
    stripe = await FakeStripe.start();
    api = await startIsolatedApi('stripe-billing', { ...stripe.env, PUBLIC_URL, ...DUNNING });
    worker = await createWorkerApp({ ...process.env, ...stripe.env, PUBLIC_URL, ...DUNNING, REDIS_PREFIX: api.redisPrefix });
    await worker.init();
    db = api.app.get(DataSource);
    fixtures = new CatalogFixtures(api.app, db);
    admin = await fixtures.admin('stripe-billing-admin');

    provider = await fixtures.provider('stripe-billing-provider', 'not_started');
    await send(api.app, provider.user, 'post', '/v1/provider/payouts/onboarding-link').expect(200);
    accountId = [...stripe.objects.accounts.values()].find((a) => a.metadata.providerId === provider.providerId)!.id;
    stripe.completeOnboarding(accountId);
    await deliverAndApply(stripe.accountUpdatedEvent(accountId));
    const listing = await fixtures.listing(provider);
    apiId = listing.id;
    planId = (
      await fixtures.plan(provider, listing.id, {
        name: 'Metered',
        priceAmountMinor: 1000,
        currency: 'USD',
        quotaLimit: 3,
        quotaMode: 'soft',
        overageUnitPriceMinor: '2.5',
      })
    ).id;
    proPlanId = (
      await fixtures.plan(provider, listing.id, {
        name: 'Pro',
        priceAmountMinor: 2000,
        currency: 'USD',
        quotaLimit: 10,
        quotaMode: 'soft',
        overageUnitPriceMinor: '1.5',
      })
    ).id;
    freePlanId = (await fixtures.plan(provider, listing.id, { name: 'Free', priceAmountMinor: 0, currency: 'USD', quotaLimit: 3, quotaMode: 'hard' })).id;
    await send(api.app, provider.user, 'post', `/v1/provider/apis/${listing.id}/publish`, {}).expect(200);
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await stripe?.close();
  });

  it('runs the whole cycle: Checkout with the metered price, usage per window once, invoices mirrored with the 20 % fee, partial refunds capped at the total', async () => {
    const { consumer, subscriptionId, stripeSub, customer } = await paidSubscription('stripe-cycle');
    expect((await statusOf(subscriptionId)).status).toBe('active');

    // Checkout carried the base price and the plan's metered overage price (2.5 cents a unit), destination charge with the 20 % fee
    const checkout = stripe.requestsTo('POST', '/v1/checkout/sessions').find((r) => r.body.client_reference_id === subscriptionId)!;
    const metered = stripe.objects.prices.get((checkout.body.line_items as { price?: string }[])[1].price!)!;
    expect(metered).toMatchObject({ unit_amount_decimal: '2.5', recurring: { usage_type: 'metered' } });
    expect(checkout.body.subscription_data).toMatchObject({ application_fee_percent: '20', transfer_data: { destination: accountId } });
    expect(stripe.requestsTo('POST', '/v1/prices').every((r) => r.idempotencyKey === `portico:overage-price:${planId}:2.5`)).toBe(true);

    // the first invoice (base in advance) was paid at checkout: invoice.paid mirrors it, twice delivered, once applied
    const [first] = stripe.invoicesOf(stripeSub);
    const paidEvent = stripe.invoiceEvent('invoice.paid', first.id);
    await deliverAndApply(paidEvent);
    await deliverAndApply(stripe.invoiceEvent('invoice.paid', first.id));
    const [mirrored] = await invoicesOf(subscriptionId);
    expect(mirrored).toMatchObject({
      status: 'paid',
      total_amount_minor: '1000',
      fee_amount_minor: '200',
      provider_share_amount_minor: '800',
      stripe_invoice_id: first.id,
    });
    expect(mirrored.payment_reference).toMatch(/^pi_/);
    const consumerView = await send(api.app, consumer, 'get', `/v1/invoices/${mirrored.id}`).expect(200);
    expect(consumerView.body.lines).toEqual([expect.objectContaining({ kind: 'base', amountMinor: '1000' })]);
    // destination charge: the share went to the provider with the charge; the platform keeps the fee
    const earnings = await send(api.app, provider.user, 'get', '/v1/provider/earnings').expect(200);
    expect(earnings.body.totals).toEqual([
      expect.objectContaining({ currency: 'USD', grossMinor: '1000', feeMinor: '200', netMinor: '800', paidOutMinor: '800', pendingMinor: '0' }),
    ]);

    // usage: 5 calls, 2 over the soft quota, applied by the worker from a usage batch
    const at = new Date();
    await applyUsage(consumer, subscriptionId, at, 5, 2);

    // the reporter sends one meter event for the window, with a deterministic identifier; a rerun sends nothing new
    const reporter = worker.get(UsageReporter);
    const later = new Date(at.getTime() + 3 * 3600_000);
    await reporter.reportDue(later);
    await reporter.reportDue(later);
    const [report] = await db.query<{ window_start: Date; units: string; identifier: string }[]>(
      'SELECT window_start, units::text, identifier FROM billing_usage_reports WHERE subscription_id = $1',
      [subscriptionId],
    );
    const identifier = `${subscriptionId}:${report.window_start.toISOString()}`;
    expect(report).toMatchObject({ units: '2', identifier });
    const sent = stripe.requestsTo('POST', '/v1/billing/meter_events').filter((r) => r.body.identifier === identifier);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ idempotencyKey: `portico:usage:${identifier}`, body: { payload: { stripe_customer_id: customer, value: '2' } } });
    expect(stripe.objects.meterEvents.size).toBe(1);

    // replay-safe: a crash after Stripe answered and before the row was marked → the rerun replays the same request
    await db.query('UPDATE billing_usage_reports SET reported_at = NULL WHERE subscription_id = $1', [subscriptionId]);
    await reporter.sendPending();
    const again = stripe.requestsTo('POST', '/v1/billing/meter_events').filter((r) => r.body.identifier === identifier);
    expect(again.map((r) => r.replayed)).toEqual([false, true]);
    expect(stripe.meteredUsage(customer, 0, Number.MAX_SAFE_INTEGER)).toBe(2);

    // the period ends at Stripe: the renewal bills the next base in advance and the overage in arrears (2 × 2.5 = 5)
    const renewal = stripe.renewSubscription(stripeSub)!;
    await deliverAndApply(stripe.invoiceEvent('invoice.paid', renewal.id));
    const both = await invoicesOf(subscriptionId);
    expect(both).toHaveLength(2);
    const second = both.find((i) => i.stripe_invoice_id === renewal.id)!;
    expect(second).toMatchObject({ status: 'paid', total_amount_minor: '1005', fee_amount_minor: '201', provider_share_amount_minor: '804' });
    const lines = (await send(api.app, consumer, 'get', `/v1/invoices/${second.id}`).expect(200)).body.lines as { kind: string; quantity: string | null; unitPriceMinor: string | null; amountMinor: string }[];
    expect(lines.map((l) => [l.kind, l.quantity, l.unitPriceMinor, l.amountMinor])).toEqual([
      ['base', null, null, '1000'],
      ['overage', '2', '2.5', '5'],
    ]);

    // a partial refund, then another: fee and share reversed in proportion, through Stripe with reverse_transfer
    const r1 = await send(api.app, admin, 'post', `/v1/admin/invoices/${second.id}/refunds`, { amountMinor: '500', reason: 'Outage credit' })
      .set('Idempotency-Key', 'refund-1')
      .expect(201);
    expect(r1.body).toMatchObject({ status: 'succeeded', amountMinor: '500', feeAmountMinor: '100', providerShareAmountMinor: '400' });
    const r2 = await send(api.app, provider.user, 'post', `/v1/provider/invoices/${second.id}/refunds`, { amountMinor: '333', reason: 'Goodwill' }).expect(201);
    expect(r2.body).toMatchObject({ status: 'succeeded', amountMinor: '333', feeAmountMinor: '67', providerShareAmountMinor: '266' });
    const refundCalls = stripe.requestsTo('POST', '/v1/refunds');
    expect(refundCalls.map((r) => [r.body.amount, r.body.reverse_transfer, r.body.refund_application_fee, r.idempotencyKey])).toEqual([
      ['500', 'true', 'true', `portico:refund:${r1.body.id}`],
      ['333', 'true', 'true', `portico:refund:${r2.body.id}`],
    ]);
    // the same request again (same Idempotency-Key) answers the same refund
    const replay = await send(api.app, admin, 'post', `/v1/admin/invoices/${second.id}/refunds`, { amountMinor: '500', reason: 'Outage credit' })
      .set('Idempotency-Key', 'refund-1')
      .expect(201);
    expect(replay.body.id).toBe(r1.body.id);
    // a third exceeding what is left (1005 − 833 = 172) is refused, and nothing moves
    const refused = await send(api.app, admin, 'post', `/v1/admin/invoices/${second.id}/refunds`, { amountMinor: '173', reason: 'Too much' }).expect(409);
    expect(refused.body.detail).toContain('172');
    expect(stripe.requestsTo('POST', '/v1/refunds')).toHaveLength(2);
    const charge = [...stripe.objects.charges.values()].find((c) => c.payment_intent === second.payment_reference)!;
    expect(charge.amount_refunded).toBe(833);

    // charge.refunded afterwards changes nothing (both refunds are Portico's and recorded)
    await deliverAndApply(stripe.chargeRefundedEvent(charge.id));
    const notes = await db.query<{ n: number; total: string }[]>(
      `SELECT count(*)::int AS n, SUM(total_amount_minor)::text AS total FROM invoices WHERE credits_invoice_id = $1`,
      [second.id],
    );
    expect(notes[0]).toEqual({ n: 2, total: '-833' });
    const after = await send(api.app, provider.user, 'get', '/v1/provider/earnings').expect(200);
    // gross 2005 − 833 refunded = 1172; fee 401 − 167 = 234; net 1604 − 666 = 938, all of it with the provider already
    expect(after.body.totals[0]).toMatchObject({ grossMinor: '1172', feeMinor: '234', netMinor: '938', pendingMinor: '0' });
    expect(await unbalanced()).toBe(0);
  }, 60_000);

  it('mirrors a dashboard refund and a dispute once, from charge.refunded and charge.dispute.created', async () => {
    const { subscriptionId, stripeSub } = await paidSubscription('stripe-dashboard');
    const [first] = stripe.invoicesOf(stripeSub);
    await deliverAndApply(stripe.invoiceEvent('invoice.paid', first.id));
    const charge = [...stripe.objects.charges.values()].find((c) => c.payment_intent === first.payments.data[0].payment.payment_intent)!;
    stripe.refundInDashboard(charge.id, 250);
    const event = stripe.chargeRefundedEvent(charge.id);
    await deliverAndApply(event);
    await deliverAndApply(stripe.chargeRefundedEvent(charge.id));
    const [invoice] = await invoicesOf(subscriptionId);
    const notes = await db.query<{ total: string; fee: string; share: string }[]>(
      `SELECT total_amount_minor::text AS total, fee_amount_minor::text AS fee, provider_share_amount_minor::text AS share
       FROM invoices WHERE credits_invoice_id = $1`,
      [invoice.id],
    );
    expect(notes).toEqual([{ total: '-250', fee: '-50', share: '-200' }]);

    const dispute = stripe.disputeCreatedEvent(charge.id, 750);
    await deliverAndApply(dispute);
    await deliverAndApply(dispute);
    const disputes = await db.query<{ amount_minor: string; invoice_id: string }[]>(
      'SELECT amount_minor::text, invoice_id FROM billing_disputes WHERE invoice_id = $1',
      [invoice.id],
    );
    expect(disputes).toEqual([{ amount_minor: '750', invoice_id: invoice.id }]);
    expect(await unbalanced()).toBe(0);
  }, 60_000);

  const planOf = async (subscriptionId: string) =>
    (await db.query<{ plan_id: string }[]>('SELECT plan_id FROM subscriptions WHERE id = $1', [subscriptionId]))[0].plan_id;
  const planChangesOf = async (subscriptionId: string) =>
    (await db.query<{ n: number }[]>('SELECT count(*)::int AS n FROM billing_plan_changes WHERE subscription_id = $1', [subscriptionId]))[0].n;
  /** Σ ledger entries per account of the test provider (the hold, the split and its reversals all carry it). */
  const shareReversalOf = async (stripeDisputeId: string) => {
    const [row] = await db.query<{ share: string | null; reference: string | null; attempts: number; error: string | null }[]>(
      `SELECT share_reversal_minor::text AS share, share_reversal_reference AS reference, share_reversal_attempts AS attempts,
              share_reversal_error AS error
       FROM billing_disputes WHERE stripe_dispute_id = $1`,
      [stripeDisputeId],
    );
    return row;
  };
  const providerLedger = async () => {
    const rows = await db.query<{ account: string; total: string }[]>(
      'SELECT account, SUM(amount_minor)::text AS total FROM ledger_entries WHERE provider_id = $1 GROUP BY account',
      [provider.providerId],
    );
    return Object.fromEntries(rows.map((r) => [r.account, BigInt(r.total)])) as Record<string, bigint>;
  };
  const delta = (after: Record<string, bigint>, before: Record<string, bigint>) => {
    const out: Record<string, string> = {};
    for (const account of new Set([...Object.keys(after), ...Object.keys(before)])) {
      const d = (after[account] ?? 0n) - (before[account] ?? 0n);
      if (d !== 0n) out[account] = d.toString();
    }
    return out;
  };
  const notificationTypes = async (user: SignedUp, disputeId: string) =>
    ((await send(api.app, user, 'get', '/v1/notifications?limit=100').expect(200)).body.items as { type: string; data: { disputeId?: string } }[])
      .filter((n) => n.data.disputeId === disputeId)
      .map((n) => n.type)
      .sort();

  it('pushes a plan change to the Stripe subscription: new base and metered prices on the same items, create_prorations at the change, one keyed update per change', async () => {
    const { consumer, subscriptionId, stripeSub } = await paidSubscription('stripe-plan-change');
    const before = structuredClone(stripe.subscription(stripeSub).items.data);
    expect(before).toHaveLength(2); // base + metered, as Checkout made them

    const changedAt = Math.floor(Date.now() / 1000);
    const res = await send(api.app, consumer, 'post', `/v1/subscriptions/${subscriptionId}/change-plan`, { planId: proPlanId }).expect(200);
    expect(res.body.planId).toBe(proPlanId);
    const updates = stripe.requestsTo('POST', `/v1/subscriptions/${stripeSub}`);
    expect(updates).toHaveLength(1);
    expect(updates[0].idempotencyKey).toBe(`portico:plan-change:${subscriptionId}:1:${proPlanId}`);
    expect(updates[0].body).toMatchObject({ proration_behavior: 'create_prorations', cancel_at_period_end: 'false', metadata: { porticoPlanId: proPlanId } });
    expect(Math.abs(Number(updates[0].body.proration_date) - changedAt)).toBeLessThanOrEqual(2);
    const after = stripe.subscription(stripeSub).items.data;
    expect(after.map((i) => i.id)).toEqual(before.map((i) => i.id)); // prices swapped on the same items
    expect(stripe.objects.prices.get(after[0].price.id)).toMatchObject({ unit_amount: 2000, recurring: { interval: 'month', usage_type: 'licensed' } });
    expect(stripe.objects.prices.get(after[1].price.id)).toMatchObject({ unit_amount_decimal: '1.5', recurring: { usage_type: 'metered' } });
    expect(stripe.subscription(stripeSub).prorations).toEqual([
      expect.objectContaining({ behavior: 'create_prorations', items: [expect.objectContaining({ from: before[0].price.id }), expect.objectContaining({ from: before[1].price.id })] }),
    ]);

    // a retry of the same change (the answer was lost after Stripe applied it): Stripe already bills the new prices, nothing is sent twice
    const retry = await api.app.get(StripeSubscriptionChanges).pushPlanChange(db.manager, {
      subscriptionId,
      planId: proPlanId,
      productName: stripe.objects.prices.get(after[0].price.id)!.nickname!,
      currency: 'USD',
      priceAmountMinor: '2000',
      overageUnitPriceMinor: '1.5',
      at: new Date(changedAt * 1000),
    });
    expect(retry).toBe('unchanged');
    expect(stripe.requestsTo('POST', `/v1/subscriptions/${stripeSub}`)).toHaveLength(1);

    // to the free plan (hard quota, no overage): the base becomes a 0 price, the metered item is removed, the second change has its own key
    await send(api.app, consumer, 'post', `/v1/subscriptions/${subscriptionId}/change-plan`, { planId: freePlanId }).expect(200);
    const second = stripe.requestsTo('POST', `/v1/subscriptions/${stripeSub}`);
    expect(second.map((r) => r.idempotencyKey)).toEqual([
      `portico:plan-change:${subscriptionId}:1:${proPlanId}`,
      `portico:plan-change:${subscriptionId}:2:${freePlanId}`,
    ]);
    const onFree = stripe.subscription(stripeSub).items.data;
    expect(onFree.map((i) => i.id)).toEqual([before[0].id]);
    expect(stripe.objects.prices.get(onFree[0].price.id)).toMatchObject({ unit_amount: 0 });
    expect(stripe.subscription(stripeSub).status).toBe('active');
  }, 60_000);

  it('a plan change Stripe refuses answers 502 payments_provider_error and changes nothing in Portico; the retry applies it with the same key', async () => {
    const { consumer, subscriptionId, stripeSub } = await paidSubscription('stripe-plan-change-fail');
    const pricesBefore = stripe.subscription(stripeSub).items.data.map((i) => i.price.id);
    stripe.failNext('POST', `/v1/subscriptions/${stripeSub}`, 400, { type: 'invalid_request_error', message: 'Fake refusal of the update.' });
    const refused = await send(api.app, consumer, 'post', `/v1/subscriptions/${subscriptionId}/change-plan`, { planId: proPlanId }).expect(502);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ code: 'payments_provider_error', status: 502 });
    expect(refused.body.detail).toContain('Fake refusal');
    expect(await planOf(subscriptionId)).toBe(planId);
    expect(await planChangesOf(subscriptionId)).toBe(0);
    expect(stripe.subscription(stripeSub).items.data.map((i) => i.price.id)).toEqual(pricesBefore);
    const view = await send(api.app, consumer, 'get', `/v1/subscriptions/${subscriptionId}`).expect(200);
    expect(view.body.planId).toBe(planId);

    await send(api.app, consumer, 'post', `/v1/subscriptions/${subscriptionId}/change-plan`, { planId: proPlanId }).expect(200);
    expect(await planOf(subscriptionId)).toBe(proPlanId);
    expect(await planChangesOf(subscriptionId)).toBe(1);
    expect(stripe.requestsTo('POST', `/v1/subscriptions/${stripeSub}`).map((r) => [r.idempotencyKey, r.replayed])).toEqual([
      [`portico:plan-change:${subscriptionId}:1:${proPlanId}`, false],
      [`portico:plan-change:${subscriptionId}:1:${proPlanId}`, false],
    ]);
  }, 60_000);

  it('usage that lands in a window after it was reported goes to Stripe as a revision of the window, once', async () => {
    const { consumer, subscriptionId, customer } = await paidSubscription('stripe-late-usage');
    const at = new Date();
    const windowEnd = new Date((Math.floor(at.getTime() / 3600_000) + 1) * 3600_000); // STRIPE_USAGE_WINDOW_MINUTES = 60
    const minutesAfterEnd = (minutes: number) => new Date(windowEnd.getTime() + minutes * 60_000);
    const reporter = worker.get(UsageReporter);
    await applyUsage(consumer, subscriptionId, at, 3, 2);
    await reporter.reportDue(minutesAfterEnd(3));
    // a worker catching up on a backlog applies more calls of that window after its report
    await applyUsage(consumer, subscriptionId, at, 4, 3);
    await reporter.reportDue(minutesAfterEnd(10)); // not re-checked before USAGE_RECHECK_LAG (30 min)
    await reporter.reportDue(minutesAfterEnd(31));
    await reporter.reportDue(minutesAfterEnd(45));
    const reports = await db.query<{ revision: number; units: string; identifier: string; reported: boolean }[]>(
      `SELECT revision, units::text, identifier, reported_at IS NOT NULL AS reported
       FROM billing_usage_reports WHERE subscription_id = $1 ORDER BY revision`,
      [subscriptionId],
    );
    expect(reports.map((r) => [r.revision, r.units, r.reported])).toEqual([
      [0, '2', true],
      [1, '3', true],
    ]);
    // the first window starts when the subscription was paid for, not on the hour
    expect(reports[0].identifier.startsWith(`${subscriptionId}:`)).toBe(true);
    expect(reports[1].identifier).toBe(`${reports[0].identifier}:1`);
    const sent = stripe.requestsTo('POST', '/v1/billing/meter_events').filter((r) => (r.body.identifier as string).startsWith(`${subscriptionId}:`));
    expect(sent.map((r) => [r.body.identifier, (r.body.payload as { value: string }).value])).toEqual([
      [reports[0].identifier, '2'],
      [reports[1].identifier, '3'],
    ]);
    expect(stripe.meteredUsage(customer, 0, Number.MAX_SAFE_INTEGER)).toBe(5);
  }, 60_000);

  it("usage that lands after its window's re-check still reaches the period's Stripe invoice: at the renewal every window of the ended period is read once more, once", async () => {
    const { consumer, subscriptionId, stripeSub, customer } = await paidSubscription('stripe-period-sweep');
    const [{ current_period_end: end }] = await db.query<{ current_period_end: Date }[]>(
      'SELECT current_period_end FROM billing_stripe_subscriptions WHERE subscription_id = $1',
      [subscriptionId],
    );
    const at = new Date();
    const windowEnd = new Date((Math.floor(at.getTime() / 3600_000) + 1) * 3600_000); // STRIPE_USAGE_WINDOW_MINUTES = 60
    const reporter = worker.get(UsageReporter);
    const reports = async () =>
      (
        await db.query<{ revision: number; units: string; reported: boolean }[]>(
          `SELECT revision, units::text, reported_at IS NOT NULL AS reported FROM billing_usage_reports
           WHERE subscription_id = $1 ORDER BY window_start, revision`,
          [subscriptionId],
        )
      ).map((r) => [r.revision, r.units, r.reported]);
    await applyUsage(consumer, subscriptionId, at, 3, 2);
    await reporter.reportDue(new Date(windowEnd.getTime() + 3 * 60_000));
    await reporter.reportDue(new Date(windowEnd.getTime() + 31 * 60_000)); // re-checked: nothing new yet
    // the worker was down for longer: 3 more units of that window land after its re-check
    await applyUsage(consumer, subscriptionId, at, 4, 3);
    await reporter.reportDue(new Date(windowEnd.getTime() + 45 * 60_000));
    expect(await reports()).toEqual([[0, '2', true]]);

    // Stripe's period ends and renews; Portico hears of it
    stripe.renewSubscription(stripeSub);
    await deliverAndApply(stripe.subscriptionEvent('customer.subscription.updated', stripeSub));
    // runs 31 minutes after the period's end: both cursors walk the month (48 windows a run), then the sweep reads it once more
    const runs: { swept: number }[] = [];
    for (let run = 0; run < 40; run++) runs.push(await reporter.reportDue(new Date(end.getTime() + 31 * 60_000)));
    expect(await reports()).toEqual([
      [0, '2', true],
      [1, '3', true],
    ]);
    expect(runs.filter((r) => r.swept > 0)).toHaveLength(1); // the month's windows at once, never again
    const [{ swept }] = await db.query<{ swept: Date }[]>(
      'SELECT usage_swept_until AS swept FROM billing_stripe_subscriptions WHERE subscription_id = $1',
      [subscriptionId],
    );
    expect(swept.getTime()).toBeGreaterThanOrEqual(end.getTime());
    // the revision is stamped inside the ended period (its window's last second), so it bills there
    const revision = stripe
      .requestsTo('POST', '/v1/billing/meter_events')
      .filter((r) => (r.body.identifier as string).startsWith(`${subscriptionId}:`) && (r.body.identifier as string).endsWith(':1'));
    expect(revision).toHaveLength(1);
    expect(Number(revision[0].body.timestamp)).toBeLessThan(end.getTime() / 1000);
    expect(stripe.meteredUsage(customer, 0, Number.MAX_SAFE_INTEGER)).toBe(5);
  }, 60_000);

  it('a consumer cancellation now reports the overage up to it, then cancels the Stripe subscription at once with a final invoice', async () => {
    const { consumer, subscriptionId, stripeSub, customer } = await paidSubscription('stripe-cancel-now');
    // 3 calls over the soft quota in the running (unreported) window
    await applyUsage(consumer, subscriptionId, new Date(), 4, 3);
    const invoicesBefore = stripe.invoicesOf(stripeSub).length;
    await send(api.app, consumer, 'post', `/v1/subscriptions/${subscriptionId}/cancel`, { atPeriodEnd: false }).expect(200);
    expect(stripe.subscription(stripeSub).status).toBe('canceled');
    const cancels = stripe.requestsTo('DELETE', `/v1/subscriptions/${stripeSub}`);
    expect(cancels.map((r) => [r.idempotencyKey, r.body.invoice_now, r.body.prorate])).toEqual([
      [`portico:cancel-subscription:${subscriptionId}:final-invoice`, 'true', 'false'],
    ]);
    // the partial window up to the cancellation went out first, and the final invoice bills it (3 × 2.5 cents, rounded)
    expect(stripe.meteredUsage(customer, 0, Number.MAX_SAFE_INTEGER)).toBe(3);
    const invoices = stripe.invoicesOf(stripeSub);
    expect(invoices).toHaveLength(invoicesBefore + 1);
    expect(invoices.at(-1)!.lines.data.map((l) => [l.quantity, l.amount])).toEqual([[3, 8]]);
    expect(invoices.at(-1)!.status).toBe('paid');
  }, 60_000);

  it('a consumer cancellation at period end sets Stripe to end with the period: no renewal is charged', async () => {
    const { consumer, subscriptionId, stripeSub } = await paidSubscription('stripe-cancel-at-end');
    const res = await send(api.app, consumer, 'post', `/v1/subscriptions/${subscriptionId}/cancel`, { atPeriodEnd: true }).expect(200);
    expect(res.body).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
    expect(stripe.subscription(stripeSub)).toMatchObject({ status: 'active', cancel_at_period_end: true });
    expect(stripe.requestsTo('POST', `/v1/subscriptions/${stripeSub}`).map((r) => [r.idempotencyKey, r.body])).toEqual([
      [`portico:cancel-at-period-end:${subscriptionId}:0`, { cancel_at_period_end: 'true' }],
    ]);
    const invoices = stripe.invoicesOf(stripeSub).length;
    // Portico's period ends first: reconciliation leaves Stripe to end its subscription with its own period
    await db.query(`UPDATE subscriptions SET status = 'canceled', canceled_at = now(), cancel_at_period_end = false WHERE id = $1`, [subscriptionId]);
    const run = await worker.get(ReconciliationService).run();
    expect(run.drifts.filter((d) => d.objectId === subscriptionId)).toEqual([]);
    expect(stripe.subscription(stripeSub)).toMatchObject({ status: 'active', cancel_at_period_end: true });
    // Stripe's period ends: the subscription ends with it, no renewal invoice
    expect(stripe.renewSubscription(stripeSub)).toBeNull();
    expect(stripe.subscription(stripeSub).status).toBe('canceled');
    expect(stripe.invoicesOf(stripeSub)).toHaveLength(invoices);
  }, 60_000);

  it('a cancellation at period end after a plan change withdrew an earlier one reaches Stripe again (a new key, not a replay)', async () => {
    const { consumer, subscriptionId, stripeSub } = await paidSubscription('stripe-cancel-again');
    const cancel = () => send(api.app, consumer, 'post', `/v1/subscriptions/${subscriptionId}/cancel`, { atPeriodEnd: true }).expect(200);
    await cancel();
    // the plan change withdraws the cancellation, in Portico and at Stripe
    await send(api.app, consumer, 'post', `/v1/subscriptions/${subscriptionId}/change-plan`, { planId: proPlanId }).expect(200);
    expect(stripe.subscription(stripeSub).cancel_at_period_end).toBe(false);
    await cancel();
    expect(stripe.subscription(stripeSub).cancel_at_period_end).toBe(true);
    const keys = stripe.requestsTo('POST', `/v1/subscriptions/${stripeSub}`).map((r) => r.idempotencyKey);
    expect(keys.filter((k) => k?.startsWith('portico:cancel-at-period-end:'))).toEqual([
      `portico:cancel-at-period-end:${subscriptionId}:0`,
      `portico:cancel-at-period-end:${subscriptionId}:1`,
    ]);
  }, 60_000);

  it("the overage of a period's last minutes reaches Stripe inside that period, also once Stripe ended a subscription canceled at period end", async () => {
    const { consumer, subscriptionId, stripeSub, customer } = await paidSubscription('stripe-last-window');
    await send(api.app, consumer, 'post', `/v1/subscriptions/${subscriptionId}/cancel`, { atPeriodEnd: true }).expect(200);
    const [{ current_period_end: end }] = await db.query<{ current_period_end: Date }[]>(
      'SELECT current_period_end FROM billing_stripe_subscriptions WHERE subscription_id = $1',
      [subscriptionId],
    );
    // 3 calls over the quota in the period's last minutes (Stripe's period ends a month after the test's start)
    await applyUsage(consumer, subscriptionId, new Date(end.getTime() - 5 * 60_000), 3, 3);
    // Stripe's period ends: the subscription ends without a renewal, and Portico hears of it
    expect(stripe.renewSubscription(stripeSub)).toBeNull();
    await deliverAndApply(stripe.subscriptionEvent('customer.subscription.deleted', stripeSub));
    // the reporter's runs minutes later (a month of windows, 48 a run) still report the ended subscription up to its end
    const reporter = worker.get(UsageReporter);
    for (let run = 0; run < 20; run++) await reporter.reportDue(new Date(end.getTime() + 3 * 60_000));
    const reports = await db.query<{ window_end: Date; units: string }[]>(
      'SELECT window_end, units::text FROM billing_usage_reports WHERE subscription_id = $1',
      [subscriptionId],
    );
    // the window holding those calls ends at the period's end at the latest (cut there)
    expect(reports.map((r) => r.units)).toEqual(['3']);
    expect(reports[0].window_end.getTime()).toBeLessThanOrEqual(end.getTime());
    const [{ until }] = await db.query<{ until: Date }[]>(
      'SELECT usage_reported_until AS until FROM billing_stripe_subscriptions WHERE subscription_id = $1',
      [subscriptionId],
    );
    // reported up to the period's end; when that end falls in an hour window's first minute (a run at the
    // top of the hour), the cut is skipped and the minute stays with the next window: up to the window's start
    const intoWindow = end.getTime() % 3600_000;
    expect(until).toEqual(intoWindow < 60_000 ? new Date(end.getTime() - intoWindow) : end);
    const endSecond = Math.floor(end.getTime() / 1000);
    expect(stripe.meteredUsage(customer, endSecond - 3600, endSecond)).toBe(3);
  }, 60_000);

  it('reconciliation sets a Stripe subscription to end with its period when the push of a cancellation at period end failed', async () => {
    const { consumer, subscriptionId, stripeSub } = await paidSubscription('stripe-reconcile-at-end');
    stripe.failNext('POST', `/v1/subscriptions/${stripeSub}`, 400, { type: 'invalid_request_error', message: 'Fake refusal of the update.' });
    // best effort: the cancellation stands in Portico though Stripe refused it
    await send(api.app, consumer, 'post', `/v1/subscriptions/${subscriptionId}/cancel`, { atPeriodEnd: true }).expect(200);
    expect(stripe.subscription(stripeSub).cancel_at_period_end).toBe(false);
    const run = await worker.get(ReconciliationService).run();
    expect(run.drifts).toContainEqual(
      expect.objectContaining({ objectId: subscriptionId, field: 'cancel_at_period_end', localValue: 'true', stripeValue: 'false' }),
    );
    expect(run.repaired).toBeGreaterThanOrEqual(1);
    expect(stripe.subscription(stripeSub)).toMatchObject({ status: 'active', cancel_at_period_end: true });
    // the next run finds them equal and resolves the drift
    await worker.get(ReconciliationService).run();
    const open = await send(api.app, admin, 'get', '/v1/admin/billing/drifts').expect(200);
    expect((open.body as { objectId: string }[]).some((d) => d.objectId === subscriptionId)).toBe(false);
  }, 60_000);

  it('a dispute: created → recorded and notified; lost → the split reversed like a refund, once, whatever is replayed', async () => {
    const { subscriptionId, stripeSub } = await paidSubscription('stripe-dispute-lost');
    const [first] = stripe.invoicesOf(stripeSub);
    await deliverAndApply(stripe.invoiceEvent('invoice.paid', first.id));
    const [invoice] = await invoicesOf(subscriptionId);
    const charge = [...stripe.objects.charges.values()].find((c) => c.payment_intent === invoice.payment_reference)!;
    const start = await providerLedger();

    const created = stripe.disputeCreatedEvent(charge.id);
    const disputeId = created.data.object.id as string;
    await deliverAndApply(created);
    await deliverAndApply(created);
    const [row] = await db.query<{ invoice_id: string; amount_minor: string; outcome: string | null }[]>(
      'SELECT invoice_id, amount_minor::text, outcome FROM billing_disputes WHERE stripe_dispute_id = $1',
      [disputeId],
    );
    expect(row).toEqual({ invoice_id: invoice.id, amount_minor: '1000', outcome: null });
    expect(await notificationTypes(provider.user, disputeId)).toEqual(['billing.dispute_opened']);
    expect(await notificationTypes(admin, disputeId)).toEqual(['billing.dispute_opened']);
    const held = await providerLedger();
    // Stripe holds the amount and takes its dispute fee from the platform
    expect(delta(held, start)).toEqual({ disputes: '1000', payment_clearing: '-2500', payment_fees: '1500' });
    expect(await postingOf(`dispute:${disputeId}:fee`)).toEqual({ payment_fees: '1500', payment_clearing: '-1500' });

    const lost = stripe.disputeClosedEvent(created, 'lost');
    await deliverAndApply(lost);
    await deliverAndApply(lost); // the same event again
    await deliverAndApply(stripe.disputeClosedEvent(created, 'lost')); // the same outcome under another event id
    const [closed] = await db.query<{ outcome: string; credit_note_id: string }[]>(
      'SELECT outcome, credit_note_id FROM billing_disputes WHERE stripe_dispute_id = $1',
      [disputeId],
    );
    expect(closed.outcome).toBe('lost');
    const notes = await db.query<{ id: string; total: string; fee: string; share: string; status: string }[]>(
      `SELECT id, total_amount_minor::text AS total, fee_amount_minor::text AS fee, provider_share_amount_minor::text AS share, status
       FROM invoices WHERE credits_invoice_id = $1`,
      [invoice.id],
    );
    expect(notes).toEqual([{ id: closed.credit_note_id, total: '-1000', fee: '-200', share: '-800', status: 'paid' }]);
    // fee and share reversed (the platform gives up its 200, the provider owes back its 800 — Stripe keeps a
    // destination charge's transfer on a dispute), the hold closed; net: the 1000 left the platform's cash
    expect(delta(await providerLedger(), held)).toEqual({ platform_revenue: '200', provider_payable: '800', disputes: '-1000' });
    expect(delta(await providerLedger(), start)).toEqual({
      platform_revenue: '200',
      provider_payable: '800',
      payment_clearing: '-2500',
      payment_fees: '1500',
    });
    expect(await notificationTypes(provider.user, disputeId)).toEqual(['billing.dispute_lost', 'billing.dispute_opened']);
    expect(await notificationTypes(admin, disputeId)).toEqual(['billing.dispute_lost', 'billing.dispute_opened']);
    expect(await unbalanced()).toBe(0);

    const [lostNote] = (await send(api.app, provider.user, 'get', '/v1/notifications').expect(200)).body.items.filter(
      (n: { type: string; data: { disputeId: string } }) => n.type === 'billing.dispute_lost' && n.data.disputeId === disputeId,
    );
    expect(lostNote.body).toMatch(/The provider's share, 800 USD \(minor units\), is taken back from the charge's transfer/);
    expect(lostNote.data).toMatchObject({ shareReversalMinor: '800', creditNoteId: closed.credit_note_id });
    const earningsOf = async () => {
      const [usd] = (await send(api.app, provider.user, 'get', '/v1/provider/earnings').expect(200)).body.totals as { paidOutMinor: string; pendingMinor: string }[];
      return { paidOut: BigInt(usd.paidOutMinor), pending: BigInt(usd.pendingMinor) };
    };
    const owing = await earningsOf();
    // the minute job takes the provider's 800 back from the charge's transfer, once
    const reversals = worker.get(DisputeShareReversals);
    await reversals.reversePending();
    await reversals.reversePending();
    const transfer = stripe.transfer(charge.transfer!);
    expect(transfer.reversals.data.map((r) => [r.amount, r.metadata.stripeDisputeId])).toEqual([[800, disputeId]]);
    expect(stripe.requestsTo('POST', `/v1/transfers/${transfer.id}/reversals`).map((r) => r.idempotencyKey)).toEqual([
      `portico:dispute-share:${disputeId}`,
    ]);
    expect(await shareReversalOf(disputeId)).toMatchObject({ share: '800', reference: transfer.reversals.data[0].id, attempts: 0, error: null });
    // the provider owes nothing any more; the platform is out of its fee and Stripe's dispute fee
    expect(delta(await providerLedger(), start)).toEqual({ platform_revenue: '200', payment_clearing: '-1700', payment_fees: '1500' });
    expect(await unbalanced()).toBe(0);
    // the provider's earnings: the 800 it owed (pending −800) is no longer paid out to it
    const settled = await earningsOf();
    expect([settled.paidOut - owing.paidOut, settled.pending - owing.pending]).toEqual([-800n, 800n]);
    // the operator sees the dispute, its outcome and the reversal
    const listed = await send(api.app, admin, 'get', '/v1/admin/billing/disputes').expect(200);
    expect((listed.body as { stripeDisputeId: string }[]).find((d) => d.stripeDisputeId === disputeId)).toMatchObject({
      invoiceId: invoice.id,
      amountMinor: '1000',
      outcome: 'lost',
      creditNoteId: closed.credit_note_id,
      shareReversal: { amountMinor: '800', status: 'reversed', reference: transfer.reversals.data[0].id, lastError: null },
    });
    await send(api.app, provider.user, 'get', '/v1/admin/billing/disputes').expect(403);
  }, 60_000);

  it("a lost dispute's share reversal Stripe refuses is recorded and retried after a backoff", async () => {
    const { subscriptionId, stripeSub } = await paidSubscription('stripe-dispute-share-refused');
    await deliverAndApply(stripe.invoiceEvent('invoice.paid', stripe.invoicesOf(stripeSub)[0].id));
    const [invoice] = await invoicesOf(subscriptionId);
    const charge = [...stripe.objects.charges.values()].find((c) => c.payment_intent === invoice.payment_reference)!;
    const created = stripe.disputeCreatedEvent(charge.id, 500);
    const disputeId = created.data.object.id as string;
    await deliverAndApply(created);
    await deliverAndApply(stripe.disputeClosedEvent(created, 'lost'));
    const path = `/v1/transfers/${charge.transfer}/reversals`;
    stripe.failNext('POST', path, 400, { type: 'invalid_request_error', message: 'Insufficient funds in the connected account.' });

    const reversals = worker.get(DisputeShareReversals);
    const now = new Date();
    await reversals.reversePending(now);
    expect(await shareReversalOf(disputeId)).toMatchObject({ share: '400', reference: null, attempts: 1 });
    expect((await shareReversalOf(disputeId)).error).toMatch(/Insufficient funds/);
    const listed = await send(api.app, admin, 'get', '/v1/admin/billing/disputes').expect(200);
    expect((listed.body as { stripeDisputeId: string }[]).find((d) => d.stripeDisputeId === disputeId)).toMatchObject({
      outcome: 'lost',
      shareReversal: { amountMinor: '400', status: 'retrying', attempts: 1, lastError: expect.stringMatching(/Insufficient funds/) },
    });
    // not again before 2 minutes (2^1)
    await reversals.reversePending(new Date(now.getTime() + 60_000));
    expect(stripe.requestsTo('POST', path)).toHaveLength(1);
    await reversals.reversePending(new Date(now.getTime() + 3 * 60_000));
    expect(stripe.requestsTo('POST', path)).toHaveLength(2);
    expect(await shareReversalOf(disputeId)).toMatchObject({ share: '400', attempts: 1, error: null });
    expect(stripe.transfer(charge.transfer!).amount_reversed).toBe(400);
    expect(await unbalanced()).toBe(0);
  }, 60_000);

  it('a won dispute leaves the split alone: the hold is released, the invoice and balances are as before the dispute', async () => {
    const { subscriptionId, stripeSub } = await paidSubscription('stripe-dispute-won');
    const [first] = stripe.invoicesOf(stripeSub);
    await deliverAndApply(stripe.invoiceEvent('invoice.paid', first.id));
    const [invoice] = await invoicesOf(subscriptionId);
    const charge = [...stripe.objects.charges.values()].find((c) => c.payment_intent === invoice.payment_reference)!;
    const start = await providerLedger();
    const revenueBefore = (await send(api.app, admin, 'get', '/v1/admin/revenue').expect(200)).body;

    const created = stripe.disputeCreatedEvent(charge.id, 600);
    const disputeId = created.data.object.id as string;
    const won = stripe.disputeClosedEvent(created, 'won');
    // out of order: the outcome arrives before the creation, then both again
    await deliverAndApply(won);
    await deliverAndApply(created);
    await deliverAndApply(won);
    const [row] = await db.query<{ outcome: string; credit_note_id: string | null }[]>(
      'SELECT outcome, credit_note_id FROM billing_disputes WHERE stripe_dispute_id = $1',
      [disputeId],
    );
    expect(row).toEqual({ outcome: 'won', credit_note_id: null });
    // Stripe keeps its dispute fee, won or lost (the closed dispute lists no fee returned)
    expect(delta(await providerLedger(), start)).toEqual({ payment_clearing: '-1500', payment_fees: '1500' });
    const released = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM ledger_transactions WHERE reference IN ($1, $2)`,
      [`dispute:${disputeId}`, `dispute:${disputeId}:released`],
    );
    expect(released[0].n).toBe(2);
    expect((await db.query<{ n: number }[]>('SELECT count(*)::int AS n FROM invoices WHERE credits_invoice_id = $1', [invoice.id]))[0].n).toBe(0);
    // the platform's fee income is as before; what Stripe took grew by its dispute fee, and the net by as much less
    type Revenue = { totals: { currency: string; feeMinor: string; paymentFeesMinor: string; netMinor: string }[] };
    const usd = (revenue: Revenue) => revenue.totals.find((t) => t.currency === 'USD')!;
    const before = usd(revenueBefore as Revenue);
    const after = usd((await send(api.app, admin, 'get', '/v1/admin/revenue').expect(200)).body as Revenue);
    expect(after.feeMinor).toBe(before.feeMinor);
    expect(BigInt(after.paymentFeesMinor) - BigInt(before.paymentFeesMinor)).toBe(1500n);
    expect(BigInt(after.netMinor)).toBe(BigInt(after.feeMinor) - BigInt(after.paymentFeesMinor));
    expect(await notificationTypes(provider.user, disputeId)).toEqual(['billing.dispute_opened', 'billing.dispute_won']);
    expect(await unbalanced()).toBe(0);
  }, 60_000);

  it('converges to the same state whatever the order: subscription.deleted before invoice.paid, and after', async () => {
    const states: unknown[] = [];
    for (const order of ['deleted-first', 'paid-first'] as const) {
      const { subscriptionId, stripeSub } = await paidSubscription(`stripe-order-${order}`);
      const [first] = stripe.invoicesOf(stripeSub);
      await request(stripe.url).delete(`/v1/subscriptions/${stripeSub}`).set('Authorization', `Bearer ${stripe.secretKey}`).expect(200);
      const deleted = stripe.subscriptionEvent('customer.subscription.deleted', stripeSub);
      const paid = stripe.invoiceEvent('invoice.paid', first.id);
      for (const event of order === 'deleted-first' ? [deleted, paid] : [paid, deleted]) await deliverAndApply(event);
      await deliverAndApply(deleted); // a duplicate, late
      const [invoice] = await invoicesOf(subscriptionId);
      states.push({ subscription: (await statusOf(subscriptionId)).status, invoice: invoice.status, total: invoice.total_amount_minor });
    }
    expect(states[0]).toEqual({ subscription: 'canceled', invoice: 'paid', total: '1000' });
    expect(states[1]).toEqual(states[0]);
  }, 60_000);

  it('a refund whose process dies after Stripe answered is completed once: the same key makes Stripe answer the same refund', async () => {
    const { subscriptionId, stripeSub } = await paidSubscription('stripe-crash');
    const [first] = stripe.invoicesOf(stripeSub);
    await deliverAndApply(stripe.invoiceEvent('invoice.paid', first.id));
    const [invoice] = await invoicesOf(subscriptionId);

    api.app.get(BillingFaults).crashAfter('refund.after-provider-call');
    await send(api.app, admin, 'post', `/v1/admin/invoices/${invoice.id}/refunds`, { amountMinor: '400', reason: 'Crash test' }).expect(500);
    const [pending] = await db.query<{ id: string; status: string }[]>(
      'SELECT id, status FROM billing_refunds WHERE invoice_id = $1',
      [invoice.id],
    );
    expect(pending.status).toBe('pending');
    expect(stripe.requestsTo('POST', '/v1/refunds').filter((r) => r.idempotencyKey === `portico:refund:${pending.id}`)).toHaveLength(1);

    // the worker's sweeper reruns it: Stripe replays the first refund, the ledger is written once
    expect(await worker.get(RefundsService).completePending(new Date(Date.now() + 120_000))).toBe(1);
    expect(await worker.get(RefundsService).completePending(new Date(Date.now() + 120_000))).toBe(0);
    const calls = stripe.requestsTo('POST', '/v1/refunds').filter((r) => r.idempotencyKey === `portico:refund:${pending.id}`);
    expect(calls.map((c) => c.replayed)).toEqual([false, true]);
    const charge = [...stripe.objects.charges.values()].find((c) => c.payment_intent === invoice.payment_reference)!;
    expect(charge.refunds.data).toHaveLength(1);
    const [done] = await db.query<{ status: string; stripe_refund_id: string }[]>(
      'SELECT status, stripe_refund_id FROM billing_refunds WHERE id = $1',
      [pending.id],
    );
    expect(done).toEqual({ status: 'succeeded', stripe_refund_id: charge.refunds.data[0].id });
    const postings = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM ledger_transactions t JOIN invoices n ON t.reference LIKE 'invoice:' || n.id || ':%'
       WHERE n.credits_invoice_id = $1`,
      [invoice.id],
    );
    expect(postings[0].n).toBe(3); // finalisation, refund, transfer reversal — once each
    expect(await unbalanced()).toBe(0);
  }, 60_000);

  it('dunning: payment_failed → past_due with the grace end the gateway enforces (subscription_inactive after it: authorize.spec) → canceled after the last retry', async () => {
    const { consumer, subscriptionId, stripeSub, customer } = await paidSubscription('stripe-dunning');
    await deliverAndApply(stripe.invoiceEvent('invoice.paid', stripe.invoicesOf(stripeSub)[0].id));
    stripe.declinePayments(customer);
    const renewal = stripe.renewSubscription(stripeSub)!;
    expect(renewal.status).toBe('open');
    const failedAt = Date.now();
    await deliverAndApply(stripe.invoiceEvent('invoice.payment_failed', renewal.id));
    await deliverAndApply(stripe.invoiceEvent('invoice.payment_failed', renewal.id));

    const pastDue = await statusOf(subscriptionId);
    expect(pastDue.status).toBe('past_due');
    const graceEnd = pastDue.payment_grace_ends_at!.getTime();
    expect(graceEnd - failedAt).toBeGreaterThan(2_000);
    expect(graceEnd - failedAt).toBeLessThan(6_000);
    const view = await send(api.app, consumer, 'get', `/v1/subscriptions/${subscriptionId}`).expect(200);
    expect(view.body).toMatchObject({ status: 'past_due', paymentGraceEndsAt: new Date(graceEnd).toISOString() });
    const notes = await send(api.app, consumer, 'get', '/v1/notifications').expect(200);
    expect((notes.body.items as { type: string }[]).map((n) => n.type)).toContain('billing.payment_failed');

    // the first retry (1 s) fails: still past_due, Stripe was asked with a key per retry
    const dunning = worker.get(DunningService);
    expect(await dunning.runDue(new Date(failedAt + 1_500))).toMatchObject({ due: 1, retriedAndFailed: 1 });
    const [local] = (await invoicesOf(subscriptionId)).filter((i) => i.stripe_invoice_id === renewal.id);
    expect(stripe.requestsTo('POST', `/v1/invoices/${renewal.id}/pay`).map((r) => r.idempotencyKey)).toEqual([
      `portico:invoice-retry:${local.id}:1`,
    ]);
    expect((await statusOf(subscriptionId)).status).toBe('past_due');

    // the last retry (4 s) fails: the Stripe subscription is canceled, the invoice written off, the subscription canceled
    expect(await dunning.runDue(new Date(failedAt + 4_500))).toMatchObject({ due: 1, canceled: 1 });
    expect(await dunning.runDue(new Date(failedAt + 60_000))).toMatchObject({ due: 0 });
    expect((await statusOf(subscriptionId)).status).toBe('canceled');
    expect(stripe.subscription(stripeSub).status).toBe('canceled');
    expect((await invoicesOf(subscriptionId)).find((i) => i.id === local.id)!.status).toBe('uncollectible');
    const after = await send(api.app, consumer, 'get', '/v1/notifications').expect(200);
    expect((after.body.items as { type: string }[]).map((n) => n.type)).toContain('billing.subscription_canceled');
    expect(await unbalanced()).toBe(0);
  }, 60_000);

  /** A renewal Stripe could not charge: open in Portico too, dunning started. */
  async function unpaidRenewal(tag: string) {
    const { subscriptionId, stripeSub, customer } = await paidSubscription(tag);
    await deliverAndApply(stripe.invoiceEvent('invoice.paid', stripe.invoicesOf(stripeSub)[0].id));
    stripe.declinePayments(customer);
    const renewal = stripe.renewSubscription(stripeSub)!;
    const failedAt = Date.now();
    await deliverAndApply(stripe.invoiceEvent('invoice.payment_failed', renewal.id));
    const local = (await invoicesOf(subscriptionId)).find((i) => i.stripe_invoice_id === renewal.id)!;
    expect(local).toMatchObject({ status: 'open', total_amount_minor: '1000', fee_amount_minor: '200' });
    return { subscriptionId, stripeSub, customer, renewal, local, failedAt };
  }
  it('a credit note on an open invoice lowers what Stripe collects: a Stripe credit note once, the retry charges the rest, the share transferred is the rest\'s', async () => {
    const { subscriptionId, stripeSub, customer, renewal, local, failedAt } = await unpaidRenewal('stripe-open-credit');
    const res = await send(api.app, admin, 'post', `/v1/admin/invoices/${local.id}/credit-notes`, { amountMinor: '300', reason: 'Outage credit' }).expect(201);
    expect(res.body).toMatchObject({ kind: 'credit_note', status: 'paid', totalAmountMinor: '-300', feeAmountMinor: '-60', providerShareAmountMinor: '-240' });
    const calls = stripe.requestsTo('POST', '/v1/credit_notes');
    expect(calls.map((c) => c.idempotencyKey)).toEqual([`portico:credit-note:${res.body.id}`]);
    const [note] = [...stripe.objects.creditNotes.values()].filter((n) => n.invoice === renewal.id);
    expect(note).toMatchObject({ amount: 300, type: 'pre_payment', metadata: { porticoCreditNoteId: res.body.id, porticoInvoiceId: local.id } });
    expect(stripe.invoice(renewal.id)).toMatchObject({ status: 'open', amount_remaining: 700, pre_payment_credit_notes_amount: 300 });
    const [row] = await db.query<{ payment_reference: string }[]>('SELECT payment_reference FROM invoices WHERE id = $1', [res.body.id]);
    expect(row.payment_reference).toBe(note.id);

    // the card works again: the dunning retry charges what is left, and Stripe's transfer matches the ledger's
    stripe.declinePayments(customer, false);
    expect(await worker.get(DunningService).runDue(new Date(failedAt + 1_500))).toMatchObject({ due: 1, recovered: 1 });
    await deliverAndApply(stripe.invoiceEvent('invoice.paid', renewal.id));
    expect((await invoicesOf(subscriptionId)).find((i) => i.id === local.id)!.status).toBe('paid');
    const charge = stripe.charge(stripe.invoice(renewal.id).payments.data[0].payment.charge);
    expect(charge.amount).toBe(700);
    expect(await postingOf(`invoice:${local.id}:payment`)).toEqual({ payment_clearing: '700', consumer_receivable: '-700' });
    expect(await postingOf(`invoice:${local.id}:transfer`)).toEqual({ provider_payable: '560', payment_clearing: '-560' });
    expect(stripe.transfer(charge.transfer!).amount).toBe(560);
    // Stripe's processing fee of the 700 charged, from its balance transaction, booked once
    await deliverAndApply(stripe.invoiceEvent('invoice.paid', renewal.id));
    expect(await postingOf(`invoice:${local.id}:payment-fee`)).toEqual({ payment_fees: '50', payment_clearing: '-50' });
    // the consumer owes nothing and holds no credit; the platform keeps 20 % of what was paid, less Stripe's fee
    expect(await balancesOf(local.id)).toEqual({
      consumer_receivable: '0',
      platform_revenue: '-140',
      provider_payable: '0',
      payment_clearing: '90',
      payment_fees: '50',
    });
    expect((await statusOf(subscriptionId)).status).toBe('active');
    expect(stripe.subscription(stripeSub).status).toBe('active');
    expect(await unbalanced()).toBe(0);
  }, 60_000);

  it('a credit note for all of an open invoice: Stripe marks it paid without a charge, and Portico settles it at zero', async () => {
    const { subscriptionId, renewal, local } = await unpaidRenewal('stripe-full-credit');
    await send(api.app, admin, 'post', `/v1/admin/invoices/${local.id}/credit-notes`, { amountMinor: '1000', reason: 'Waived' }).expect(201);
    expect(stripe.invoice(renewal.id)).toMatchObject({ status: 'paid', amount_remaining: 0, amount_paid: 0 });
    await deliverAndApply(stripe.invoiceEvent('invoice.paid', renewal.id));
    expect((await invoicesOf(subscriptionId)).find((i) => i.id === local.id)!.status).toBe('paid');
    expect((await statusOf(subscriptionId)).status).toBe('active');
    expect(await balancesOf(local.id)).toEqual({ consumer_receivable: '0', platform_revenue: '0', provider_payable: '0' });
    expect(await unbalanced()).toBe(0);
  }, 60_000);

  it('a credit note that reaches Stripe after it collected the invoice in full is paid back as a refund of that payment: the same money, booked once', async () => {
    const { subscriptionId, customer, renewal, local } = await unpaidRenewal('stripe-credit-race');
    // the consumer pays the hosted invoice page before the admin's credit note reaches Stripe
    stripe.declinePayments(customer, false);
    expect(stripe.payNow(renewal.id)).toBe(true);
    const res = await send(api.app, admin, 'post', `/v1/admin/invoices/${local.id}/credit-notes`, { amountMinor: '300', reason: 'Outage credit' }).expect(201);
    expect(res.body).toMatchObject({ status: 'paid', totalAmountMinor: '-300' });
    const refunds = stripe.requestsTo('POST', '/v1/refunds').filter((r) => r.idempotencyKey === `portico:credit-note:${res.body.id}:refund`);
    expect(refunds.map((r) => r.body)).toMatchObject([{ amount: '300', reverse_transfer: 'true', refund_application_fee: 'true' }]);
    const charge = stripe.charge(stripe.invoice(renewal.id).payments.data[0].payment.charge);
    expect(charge).toMatchObject({ amount: 1000, amount_refunded: 300 });
    expect(stripe.transfer(charge.transfer!)).toMatchObject({ amount: 800, amount_reversed: 240 });
    const [row] = await db.query<{ payment_reference: string }[]>('SELECT payment_reference FROM invoices WHERE id = $1', [res.body.id]);
    expect(row.payment_reference).toBe(charge.refunds.data[0].id);

    // Stripe's webhooks arrive: the invoice is paid, and the refund is the note's, not a dashboard refund to mirror
    await deliverAndApply(stripe.invoiceEvent('invoice.paid', renewal.id));
    await deliverAndApply(stripe.chargeRefundedEvent(charge.id));
    expect((await invoicesOf(subscriptionId)).find((i) => i.id === local.id)!.status).toBe('paid');
    expect((await db.query<{ n: number }[]>('SELECT count(*)::int AS n FROM invoices WHERE credits_invoice_id = $1', [local.id]))[0].n).toBe(1);
    // Stripe kept 700 of the charge and 560 of the transfer, and its fee of the 1,000 charged (not returned with a refund): the books say the same
    expect(await balancesOf(local.id)).toEqual({
      consumer_receivable: '0',
      platform_revenue: '-140',
      provider_payable: '0',
      payment_clearing: '81',
      payment_fees: '59',
    });
    expect(await unbalanced()).toBe(0);
  }, 60_000);

  it('a credit note Stripe refuses is answered open (not settled) until the sweeper sends it again with the same key; a write-off then reverses only what was left', async () => {
    const { subscriptionId, renewal, local, failedAt } = await unpaidRenewal('stripe-credit-retry');
    stripe.failNext('POST', '/v1/credit_notes', 400, { type: 'invalid_request_error', message: 'Fake refusal of the credit note.' });
    const res = await send(api.app, admin, 'post', `/v1/admin/invoices/${local.id}/credit-notes`, { amountMinor: '250', reason: 'Late fix' }).expect(201);
    expect(res.body).toMatchObject({ status: 'open', totalAmountMinor: '-250' });
    const note = { id: res.body.id as string };
    expect(stripe.invoice(renewal.id).amount_remaining).toBe(1000);

    // reconciliation shows Stripe still collecting the whole invoice
    const reconciliation = worker.get(ReconciliationService);
    const drift = { objectType: 'invoice', objectId: local.id, field: 'amount_remaining', localValue: '750', stripeValue: '1000' };
    expect((await reconciliation.run()).drifts).toContainEqual(expect.objectContaining(drift));

    const invoices = worker.get(InvoicesService);
    expect(await invoices.settleOpenCredits(new Date())).toBe(0); // younger than a minute: maybe still in flight
    expect(await invoices.settleOpenCredits(new Date(Date.now() + 120_000))).toBe(1);
    expect((await reconciliation.run()).drifts).not.toContainEqual(expect.objectContaining({ objectId: local.id }));
    expect(await reconciliation.openDrifts()).not.toContainEqual(expect.objectContaining({ objectId: local.id }));
    expect(await invoices.settleOpenCredits(new Date(Date.now() + 120_000))).toBe(0);
    expect(stripe.requestsTo('POST', '/v1/credit_notes').filter((r) => r.idempotencyKey === `portico:credit-note:${note.id}`)).toHaveLength(2);
    expect(stripe.invoice(renewal.id).amount_remaining).toBe(750);

    // dunning gives up: the write-off reverses the 750 still owed, not the 1,000 of the invoice
    const dunning = worker.get(DunningService);
    await dunning.runDue(new Date(failedAt + 1_500));
    expect(await dunning.runDue(new Date(failedAt + 4_500))).toMatchObject({ due: 1, canceled: 1 });
    expect((await invoicesOf(subscriptionId)).find((i) => i.id === local.id)!.status).toBe('uncollectible');
    expect(await postingOf(`invoice:${local.id}:write-off`)).toEqual({ consumer_receivable: '-750', platform_revenue: '150', provider_payable: '600' });
    expect(await balancesOf(local.id)).toEqual({ consumer_receivable: '0', platform_revenue: '0', provider_payable: '0' });
    expect(await unbalanced()).toBe(0);
  }, 60_000);

  it('reconciliation reports drift from Stripe and cancels a Stripe subscription Portico ended (the immediate cancel failed)', async () => {
    const { consumer, subscriptionId, stripeSub } = await paidSubscription('stripe-reconcile');
    // the immediate cancel at Stripe fails (best effort): the cancellation stands in Portico, reconciliation repairs Stripe
    stripe.failNext('DELETE', `/v1/subscriptions/${stripeSub}`, 400, { type: 'invalid_request_error', message: 'Fake refusal of the cancel.' });
    await send(api.app, consumer, 'post', `/v1/subscriptions/${subscriptionId}/cancel`, { atPeriodEnd: false }).expect(200);
    expect(stripe.subscription(stripeSub).status).toBe('active');
    const run = await worker.get(ReconciliationService).run();
    expect(run.drifts).toContainEqual(
      expect.objectContaining({ objectType: 'subscription', objectId: subscriptionId, field: 'status', localValue: 'canceled', stripeValue: 'active' }),
    );
    expect(stripe.subscription(stripeSub).status).toBe('canceled');
    // with the final invoice the consumer's cancellation asked for, as the failed push did
    expect(stripe.requestsTo('DELETE', `/v1/subscriptions/${stripeSub}`).map((r) => [r.idempotencyKey, r.body.invoice_now])).toEqual([
      [`portico:cancel-subscription:${subscriptionId}:final-invoice`, 'true'],
      [`portico:cancel-subscription:${subscriptionId}:final-invoice`, 'true'],
    ]);
    const open = await send(api.app, admin, 'get', '/v1/admin/billing/drifts').expect(200);
    expect(open.body).toContainEqual(expect.objectContaining({ objectId: subscriptionId, field: 'status' }));
    // the next run finds them equal again and resolves the drift
    await worker.get(ReconciliationService).run();
    const resolved = await send(api.app, admin, 'get', '/v1/admin/billing/drifts').expect(200);
    expect((resolved.body as { objectId: string }[]).some((d) => d.objectId === subscriptionId)).toBe(false);
  }, 60_000);

  it("refuses a provider's refund of another provider's invoice with 404, like an unknown id", async () => {
    const { subscriptionId, stripeSub } = await paidSubscription('stripe-other');
    await deliverAndApply(stripe.invoiceEvent('invoice.paid', stripe.invoicesOf(stripeSub)[0].id));
    const [invoice] = await invoicesOf(subscriptionId);
    const other = await fixtures.provider('stripe-other-provider');
    const res = await send(api.app, other.user, 'post', `/v1/provider/invoices/${invoice.id}/refunds`, { amountMinor: '100', reason: 'Not mine' }).expect(404);
    expect(res.body.code).toBe('not_found');
    expect(stripe.requestsTo('POST', '/v1/refunds').filter((r) => r.body.metadata && (r.body.metadata as Record<string, string>).porticoInvoiceId === invoice.id)).toHaveLength(0);
  }, 60_000);
});
