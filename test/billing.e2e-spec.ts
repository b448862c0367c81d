import { InvoicesService, LedgerService, RatingService } from '@app/billing';
import { InvoiceRepository } from '@app/billing/testing';
import type { INestApplication } from '@nestjs/common';
import { randomBytes, randomUUID as randomUUIDv4 } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request as undiciRequest } from 'undici';
import { createWorkerApp } from '../apps/worker/src/bootstrap';
import { signUp, type SignedUp } from './support/api-client';
import { send } from './support/catalog-fixtures';
import {
  consumer,
  createKey,
  publishUpstreamApi,
  startGatewayStack,
  subscribe,
  type Consumer,
  type GatewayStack,
  type PublishedApi,
} from './support/gateway-stack';
import { until } from './support/until';

/** A paid soft-quota plan: USD 10.00 a month, 3 calls included, then 2.5 cents per call. */
const METERED = {
  name: 'Metered',
  priceAmountMinor: 1000,
  currency: 'USD',
  quotaLimit: 3,
  quotaMode: 'soft',
  overageUnitPriceMinor: '2.5',
  rateLimit: { perSecond: 100, burst: 100 },
};

interface InvoiceBody {
  id: string;
  number: string;
  status: string;
  subscriptionId: string;
  currency: string;
  totalAmountMinor: string;
  feeBps: number;
  feeAmountMinor: string;
  providerShareAmountMinor: string;
  periodStart: string;
  lines?: { kind: string; quantity: string | null; unitPriceMinor: string | null; amountMinor: string }[];
}

/**
 * The whole local billing cycle (PAYMENTS=local), driven like a client: subscribe to a paid
 * soft-quota plan, call past the quota through the real gateway, the worker applies the usage
 * batches, an admin's test clock closes the period, the worker rates and collects it, then the
 * provider is paid out. Its own Redis prefix: its worker takes only its jobs.
 */
describe('billing on local payments: subscribe → use → invoice → pay → payout', () => {
  let stack: GatewayStack;
  let worker: INestApplication;
  let upstream: Server;
  let api: PublishedApi;
  let user: Consumer;
  let admin: SignedUp;
  let subscriptionId: string;
  let invoice: InvoiceBody;

  beforeAll(async () => {
    upstream = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    stack = await startGatewayStack({
      REDIS_PREFIX: `${process.env.REDIS_PREFIX ?? 'portico-test'}.billing-${randomBytes(3).toString('hex')}`,
      PAYMENTS: 'local',
      PAYOUT_SCHEDULE: 'manual',
    });
    worker = await createWorkerApp({ ...stack.env });
    await worker.init();
    api = await publishUpstreamApi(stack, { liveUrl: origin, plans: [METERED] });
    user = await consumer(stack, 'billing-consumer');
    admin = await stack.fixtures.admin('billing-admin');
    const liveKey = await createKey(stack, user);
    const sub = await subscribe(stack, user, api.planIds[1]);
    expect(sub.status).toBe('active');
    subscriptionId = sub.id;

    // five calls through the gateway: three included, two over the soft quota
    for (let i = 0; i < 5; i += 1) {
      const res = await undiciRequest(`${stack.gatewayUrl}/${api.slug}/hello`, { headers: { 'x-portico-key': liveKey } });
      await res.body.dump();
      expect(res.statusCode).toBe(200);
    }
    // the worker applies the usage batches into the rollups billing reads
    await until(
      async () =>
        (
          await stack.db.query<{ calls: string; overage: string }[]>(
            `SELECT COALESCE(SUM(calls), 0)::text AS calls, COALESCE(SUM(overage_units), 0)::text AS overage
             FROM usage_minute_rollups WHERE subscription_id = $1`,
            [subscriptionId],
          )
        )[0],
      (row) => row.calls === '5' && row.overage === '2',
    );

    // the test clock closes the period now; the worker rates it and collects the invoice
    const before = await send(stack.api, user.user, 'get', `/v1/subscriptions/${subscriptionId}`).expect(200);
    await send(stack.api, user.user, 'post', `/v1/admin/test-clock/subscriptions/${subscriptionId}/advance`).expect(403);
    const advanced = await send(stack.api, admin, 'post', `/v1/admin/test-clock/subscriptions/${subscriptionId}/advance`).expect(200);
    expect(advanced.body.status).toBe('active');
    // a new period started at the advance; the closed one kept its length
    expect(new Date(advanced.body.currentPeriodStart as string).getTime()).toBeGreaterThan(Date.parse(before.body.currentPeriodStart as string));
    const list = await until(
      async () => (await send(stack.api, user.user, 'get', '/v1/invoices').expect(200)).body as InvoiceBody[],
      (invoices) => invoices.some((i) => i.subscriptionId === subscriptionId && i.status === 'paid'),
    );
    invoice = list.find((i) => i.subscriptionId === subscriptionId)!;
  }, 90_000);

  afterAll(async () => {
    await worker?.close();
    await stack?.close();
    upstream?.close();
  });

  it('invoices the closed period: base in arrears, overage units × the decimal price, the 20 % fee and the provider share', async () => {
    const res = await send(stack.api, user.user, 'get', `/v1/invoices/${invoice.id}`).expect(200);
    const body = res.body as InvoiceBody;
    expect(body).toMatchObject({
      status: 'paid',
      currency: 'USD',
      totalAmountMinor: '1005',
      feeBps: 2000,
      feeAmountMinor: '201',
      providerShareAmountMinor: '804',
    });
    expect(body.number).toMatch(/^INV-\d{4}-\d{6}$/);
    const days = (Date.parse((body as unknown as { periodEnd: string }).periodEnd) - Date.parse(body.periodStart)) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(28);
    expect(body.lines!.map((l) => [l.kind, l.quantity, l.unitPriceMinor, l.amountMinor])).toEqual([
      ['base', null, null, '1000'],
      ['overage', '2', '2.5', '5'],
    ]);
  });

  it('downloads the invoice as printable HTML with both parties, the lines, the fee-inclusive total and the status', async () => {
    const res = await send(stack.api, user.user, 'get', `/v1/invoices/${invoice.id}?format=html`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain(invoice.number);
    expect(res.text).toContain('Status: paid');
    expect(res.text).toContain(user.user.email);
    expect(res.text).toContain('Total (fees included)');
    expect(res.text).toContain('10.05 USD');
    expect(res.text).toContain('2.01 USD');
    expect(res.text).toContain('Overage');
  });

  it('addresses the invoice to the consumer as they were when it was drafted: a later rename does not rewrite it', async () => {
    const me = await send(stack.api, user.user, 'get', '/v1/me').expect(200);
    const drafted = me.body.account.displayName as string;
    await send(stack.api, user.user, 'patch', '/v1/me', { displayName: 'Renamed After Invoicing' }).expect(200);
    const res = await send(stack.api, user.user, 'get', `/v1/invoices/${invoice.id}?format=html`).expect(200);
    expect(res.text).toContain(`<h2>Billed to</h2><p>${drafted}<br>${user.user.email}<br>`);
    expect(res.text).not.toContain('Renamed After Invoicing');
    const json = await send(stack.api, user.user, 'get', `/v1/invoices/${invoice.id}`).expect(200);
    expect(json.body.billedTo).toEqual({ name: drafted, email: user.user.email });
  });

  it('leaves the ledger balanced: receivable settled, clearing holds the payment, the fee is revenue, the share is payable', async () => {
    const ledger = worker.get(LedgerService);
    const balances = await ledger.balances({ providerId: api.owner.providerId });
    const byAccount = Object.fromEntries(balances.map((b) => [b.account, b.balanceMinor]));
    expect(byAccount).toMatchObject({ consumer_receivable: 0n, platform_revenue: -201n });
    expect((await ledger.providerBalance(api.owner.providerId)).get('USD')).toBe(804n);
    const sums = await stack.db.query<{ unbalanced: number }[]>(
      `SELECT count(*)::int AS unbalanced FROM (SELECT transaction_id, currency FROM ledger_entries
       GROUP BY 1, 2 HAVING SUM(amount_minor) <> 0) t`,
    );
    expect(sums[0].unbalanced).toBe(0);
  });

  it('re-running the period job yields the same invoice, never a second one', async () => {
    const rerun = await worker.get(RatingService).rate(subscriptionId, new Date(invoice.periodStart));
    expect(rerun).toEqual({ outcome: 'invoiced', invoiceId: invoice.id, status: 'paid' });
    const count = await stack.db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM invoices WHERE subscription_id = $1`,
      [subscriptionId],
    );
    expect(count[0].n).toBe(1);
  });

  it("shows the provider its earnings, pays them out once with a statement, and hides them from anyone else", async () => {
    const before = await send(stack.api, api.owner.user, 'get', '/v1/provider/earnings').expect(200);
    expect(before.body.totals).toEqual([
      { currency: 'USD', grossMinor: '1005', feeMinor: '201', netMinor: '804', paidOutMinor: '0', pendingMinor: '804' },
    ]);
    expect(before.body.rows).toEqual([expect.objectContaining({ apiId: api.id, grossMinor: '1005', pendingMinor: '804' })]);

    // an invoice Stripe collected (the install ran PAYMENTS=stripe before): its share went with the charge, so no payout pays it
    const repo = worker.get(InvoiceRepository);
    const billing = worker.get(InvoicesService);
    const { id: _id, number: _n, status: _s, finalizedAt: _f, paidAt: _p, voidedAt: _v, createdAt: _c, updatedAt: _u, ...local } =
      (await repo.findById(invoice.id))!;
    const moved = { totalAmountMinor: '500', feeAmountMinor: '100', providerShareAmountMinor: '400', paymentReference: null };
    const mirrored = await repo.transaction((m) =>
      repo.insertDraftForPeriod(
        m,
        { ...local, ...moved, subscriptionId: randomUUIDv4(), stripeInvoiceId: `in_moved_${randomBytes(4).toString('hex')}` },
        [{ kind: 'base', description: 'Base', planId: null, quantity: null, unitPriceMinor: null, amountMinor: 500n, periodStart: local.periodStart, periodEnd: local.periodEnd }],
      ),
    );
    await billing.finalize(mirrored.id);
    await repo.transaction(async (m) => {
      await billing.recordDestinationTransfer(m, await billing.markPaid(mirrored.id, m));
    });

    const run = await send(stack.api, admin, 'post', '/v1/admin/payouts/run').expect(200);
    const payout = (run.body as { providerId: string; amountMinor: string; lines: { invoiceId: string; netAmountMinor: string }[] }[]).find(
      (p) => p.providerId === api.owner.providerId,
    )!;
    expect(payout.amountMinor).toBe('804');
    expect(payout.lines).toEqual([expect.objectContaining({ invoiceId: invoice.id, netAmountMinor: '804' })]);
    const again = await send(stack.api, admin, 'post', '/v1/admin/payouts/run').expect(200);
    expect((again.body as { providerId: string }[]).some((p) => p.providerId === api.owner.providerId)).toBe(false);

    const after = await send(stack.api, api.owner.user, 'get', '/v1/provider/earnings').expect(200);
    expect(after.body.totals[0]).toMatchObject({ netMinor: '1204', paidOutMinor: '1204', pendingMinor: '0' });
    expect(after.body.balances).toEqual([{ currency: 'USD', balanceMinor: '0' }]);
    expect(after.body.payouts).toHaveLength(1);

    // another provider sees only its own (nothing); a consumer is no provider
    const other = await stack.fixtures.provider(`other-${randomBytes(3).toString('hex')}`);
    const theirs = await send(stack.api, other.user, 'get', '/v1/provider/earnings').expect(200);
    expect(theirs.body).toMatchObject({ providerId: other.providerId, rows: [], totals: [], payouts: [] });
    await send(stack.api, user.user, 'get', '/v1/provider/earnings').expect(404);
  });

  it('refuses a refund the paid-out provider cannot absorb (provider_balance_insufficient), a refund over the total, and voiding a paid invoice', async () => {
    // after the payout above the provider's balance is 0: a refund would leave it owing money
    const refused = await send(stack.api, admin, 'post', `/v1/admin/invoices/${invoice.id}/refunds`, { amountMinor: '100', reason: 'Late complaint' })
      .set('Idempotency-Key', `local-refund-${invoice.id}`)
      .expect(409);
    expect(refused.body).toMatchObject({ code: 'provider_balance_insufficient', providerBalanceMinor: '0' });
    const credit = await send(stack.api, admin, 'post', `/v1/admin/invoices/${invoice.id}/credit-notes`, { amountMinor: '100', reason: 'Late complaint' }).expect(409);
    expect(credit.body.code).toBe('provider_balance_insufficient');
    const over = await send(stack.api, admin, 'post', `/v1/admin/invoices/${invoice.id}/refunds`, { amountMinor: '1006', reason: 'Too much' }).expect(409);
    expect(over.body.code).toBe('conflict');
    const voided = await send(stack.api, admin, 'post', `/v1/admin/invoices/${invoice.id}/void`).expect(409);
    expect(voided.body.detail).toContain('credit note');
    await send(stack.api, api.owner.user, 'post', `/v1/admin/invoices/${invoice.id}/refunds`, { amountMinor: '1', reason: 'Not an admin' }).expect(403);
    const unknown = await send(stack.api, api.owner.user, 'post', `/v1/provider/invoices/${randomUUIDv4()}/refunds`, { amountMinor: '1', reason: 'Unknown' }).expect(404);
    expect(unknown.body.code).toBe('not_found');
  });

  it("answers 404 for another consumer's invoice, exactly like an unknown id", async () => {
    const stranger = await signUp(stack.api, 'billing-stranger');
    const res = await send(stack.api, stranger, 'get', `/v1/invoices/${invoice.id}`).expect(404);
    expect(res.body.code).toBe('not_found');
    await send(stack.api, stranger, 'get', `/v1/invoices/${invoice.id}?format=html`).expect(404);
    expect((await send(stack.api, stranger, 'get', '/v1/invoices').expect(200)).body).toEqual([]);
  });

  it('reports platform revenue per provider and API to admins only, and lets an admin override a provider fee', async () => {
    const revenue = await send(stack.api, admin, 'get', '/v1/admin/revenue').expect(200);
    // 201 of the local invoice + 100 of the one Stripe collected (the payout test's)
    expect(revenue.body.byProvider).toContainEqual(
      expect.objectContaining({ providerId: api.owner.providerId, currency: 'USD', feeMinor: '301' }),
    );
    expect(revenue.body.byApi).toContainEqual(expect.objectContaining({ apiId: api.id, feeMinor: '301' }));
    await send(stack.api, user.user, 'get', '/v1/admin/revenue').expect(403);

    const fee = await send(stack.api, admin, 'put', `/v1/admin/providers/${api.owner.providerId}/fee`, { bps: 1000 }).expect(200);
    expect(fee.body).toMatchObject({ feeBps: 1000, overrideBps: 1000, platformDefaultBps: 2000 });
    await send(stack.api, api.owner.user, 'put', `/v1/admin/providers/${api.owner.providerId}/fee`, { bps: 0 }).expect(403);
    const cleared = await send(stack.api, admin, 'put', `/v1/admin/providers/${api.owner.providerId}/fee`, { bps: null }).expect(200);
    expect(cleared.body).toMatchObject({ feeBps: 2000, overrideBps: null });
  });
});
