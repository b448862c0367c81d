import Stripe from 'stripe';
import { FakeStripe, parseStripeForm } from './stripe.fake';

describe('the Stripe fake', () => {
  it('parses bracket-notation form bodies into nested objects and arrays, every scalar a string', () => {
    const body = new URLSearchParams([
      ['controller[stripe_dashboard][type]', 'express'],
      ['controller[fees][payer]', 'application'],
      ['capabilities[card_payments][requested]', 'true'],
      ['metadata[providerId]', 'p-1'],
      ['expand[0]', 'requirements'],
      ['expand[1]', 'capabilities'],
      ['items[0][price]', 'price_1'],
      ['items[0][quantity]', '2'],
      ['tags[]', 'a'],
      ['tags[]', 'b'],
      ['amount', '500'],
    ]).toString();
    expect(parseStripeForm(body)).toEqual({
      controller: { stripe_dashboard: { type: 'express' }, fees: { payer: 'application' } },
      capabilities: { card_payments: { requested: 'true' } },
      metadata: { providerId: 'p-1' },
      expand: ['requirements', 'capabilities'],
      items: [{ price: 'price_1', quantity: '2' }],
      tags: ['a', 'b'],
      amount: '500',
    });
  });

  describe('driven by the real SDK', () => {
    let fake: FakeStripe;
    let stripe: Stripe;

    beforeAll(async () => {
      fake = await FakeStripe.start();
      const url = new URL(fake.url);
      stripe = new Stripe(fake.secretKey, {
        host: url.hostname,
        port: url.port,
        protocol: 'http',
        maxNetworkRetries: 0,
        telemetry: false,
      });
    });

    afterAll(async () => {
      await fake.close();
    });

    /** An Express account as Portico creates them (the platform pays the fees, transfers requested). */
    const expressAccount = () =>
      stripe.accounts.create({
        controller: { stripe_dashboard: { type: 'express' }, fees: { payer: 'application' } },
        capabilities: { transfers: { requested: true } },
      });
    /** A subscription Checkout of one monthly price, a destination charge with Portico's 20 % fee. */
    const subscriptionCheckout = (
      destination: string,
      unitAmount: number,
      name: string,
    ): Stripe.Checkout.SessionCreateParams => ({
      mode: 'subscription',
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: 'usd',
            unit_amount: unitAmount,
            recurring: { interval: 'month' },
            product_data: { name },
          },
        },
      ],
      subscription_data: { application_fee_percent: 20, transfer_data: { destination } },
      success_url: 'https://portico.example/ok',
    });

    it('answers Stripe-shaped errors that the SDK turns into its error classes', async () => {
      const error = await stripe.accounts.retrieve('acct_missing').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error).toMatchObject({ code: 'resource_missing', param: 'id', statusCode: 404 });

      const badKey = new Stripe('sk_test_wrong', {
        host: '127.0.0.1',
        port: new URL(fake.url).port,
        protocol: 'http',
        maxNetworkRetries: 0,
      });
      await expect(badKey.accounts.retrieve('acct_1')).rejects.toBeInstanceOf(
        Stripe.errors.StripeAuthenticationError,
      );

      await expect(
        stripe.accountLinks.create({
          account: 'acct_missing',
          type: 'account_onboarding',
          return_url: 'https://x.example',
          refresh_url: 'https://x.example',
        }),
      ).rejects.toMatchObject({ code: 'resource_missing', param: 'account' });
    });

    it('replays a POST repeated with the same Idempotency-Key and refuses the key with other parameters', async () => {
      const params: Stripe.AccountCreateParams = {
        controller: { stripe_dashboard: { type: 'express' }, fees: { payer: 'application' } },
      };
      const a = await stripe.accounts.create(params, { idempotencyKey: 'key-1' });
      const b = await stripe.accounts.create(params, { idempotencyKey: 'key-1' });
      expect(b.id).toBe(a.id);
      expect(fake.requestsTo('POST', '/v1/accounts').map((r) => r.replayed)).toEqual([false, true]);
      await expect(
        stripe.accounts.create({ ...params, metadata: { x: '1' } }, { idempotencyKey: 'key-1' }),
      ).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    });

    it('refuses `type` together with controller properties, as Stripe does', async () => {
      await expect(
        stripe.accounts.create({ type: 'express', controller: { stripe_dashboard: { type: 'express' } } }),
      ).rejects.toMatchObject({ param: 'type' });
    });

    it('creates subscription Checkout Sessions with a destination and fee, validating like Stripe; completing one builds the event', async () => {
      const account = await expressAccount();
      const params = (destination: string): Stripe.Checkout.SessionCreateParams => ({
        ...subscriptionCheckout(destination, 1500, 'Search API — Pro'),
        client_reference_id: 'sub-1',
        success_url: 'https://portico.example/subscriptions/sub-1?checkout=success',
      });
      // a destination without the transfers capability is refused, as by Stripe
      await expect(stripe.checkout.sessions.create(params(account.id))).rejects.toMatchObject({
        param: 'subscription_data[transfer_data][destination]',
      });
      fake.completeOnboarding(account.id);
      await expect(stripe.checkout.sessions.create(params('acct_nope'))).rejects.toMatchObject({
        code: 'resource_missing',
      });
      const { success_url: _url, ...noSuccessUrl } = params(account.id);
      await expect(stripe.checkout.sessions.create(noSuccessUrl)).rejects.toMatchObject({
        code: 'parameter_missing',
        param: 'success_url',
      });
      const oneOff = params(account.id);
      delete oneOff.line_items![0].price_data!.recurring;
      await expect(stripe.checkout.sessions.create(oneOff)).rejects.toMatchObject({ param: 'line_items' });
      await expect(
        stripe.checkout.sessions.create({
          ...params(account.id),
          subscription_data: { application_fee_percent: 20 },
        }),
      ).rejects.toMatchObject({ param: 'subscription_data[application_fee_percent]' });

      const session = await stripe.checkout.sessions.create(params(account.id));
      expect(session).toMatchObject({
        object: 'checkout.session',
        mode: 'subscription',
        status: 'open',
        payment_status: 'unpaid',
        client_reference_id: 'sub-1',
        amount_total: 1500,
        currency: 'usd',
      });
      expect(session.id).toMatch(/^cs_test_/);
      expect(session.url).toContain(session.id);
      expect(fake.checkoutSession(session.id).subscription_data).toEqual({
        application_fee_percent: 20,
        transfer_data: { destination: account.id },
        metadata: {},
      });

      const event = fake.checkoutSessionCompletedEvent(session.id);
      expect(event.type).toBe('checkout.session.completed');
      expect(event.data.object).toMatchObject({
        id: session.id,
        status: 'complete',
        payment_status: 'paid',
        url: null,
        customer: expect.stringMatching(/^cus_/),
        subscription: expect.stringMatching(/^sub_/),
      });
    });

    it('credit notes on an open invoice lower what is left to charge, and mark it paid without a charge when nothing is left', async () => {
      const account = await expressAccount();
      fake.completeOnboarding(account.id);
      const session = await stripe.checkout.sessions.create(subscriptionCheckout(account.id, 1000, 'Plan'));
      const { subscription, customer } = fake.completeCheckout(session.id);
      fake.declinePayments(customer!);
      const open = fake.renewSubscription(subscription!)!;
      expect(open).toMatchObject({ status: 'open', amount_remaining: 1000 });

      await expect(stripe.creditNotes.create({ invoice: open.id, amount: 1001 })).rejects.toMatchObject({
        param: 'amount',
      });
      const note = await stripe.creditNotes.create({
        invoice: open.id,
        amount: 300,
        memo: 'Outage',
        metadata: { porticoCreditNoteId: 'n1' },
      });
      expect(note).toMatchObject({
        object: 'credit_note',
        amount: 300,
        type: 'pre_payment',
        invoice: open.id,
        memo: 'Outage',
      });
      expect(fake.invoice(open.id)).toMatchObject({
        status: 'open',
        amount_due: 700,
        amount_remaining: 700,
        pre_payment_credit_notes_amount: 300,
      });

      fake.declinePayments(customer!, false);
      const paid = await stripe.invoices.pay(open.id);
      expect(paid).toMatchObject({ status: 'paid', amount_paid: 700, amount_remaining: 0 });
      const charge = fake.charge(fake.invoice(open.id).payments.data[0].payment.charge);
      expect(charge).toMatchObject({ amount: 700, application_fee_amount: 140 });
      expect(fake.transfer(charge.transfer!).amount).toBe(560);
      await expect(stripe.creditNotes.create({ invoice: open.id, amount: 100 })).rejects.toMatchObject({
        param: 'invoice',
      });

      fake.declinePayments(customer!);
      const waived = fake.renewSubscription(subscription!)!;
      await stripe.creditNotes.create({ invoice: waived.id, amount: 1000 });
      expect(fake.invoice(waived.id)).toMatchObject({ status: 'paid', amount_paid: 0, amount_remaining: 0 });
      expect(fake.invoice(waived.id).payments.data).toEqual([]);
    });

    it('signs webhook deliveries that the SDK verifies', () => {
      const event = fake.event('account.updated', { id: 'acct_1', object: 'account' }, { account: 'acct_1' });
      const { body, signature } = fake.signedDelivery(event);
      expect(stripe.webhooks.constructEvent(body, signature, fake.webhookSecret).id).toBe(event.id);
    });
  });
});
