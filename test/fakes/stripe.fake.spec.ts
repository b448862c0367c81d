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

    it('signs webhook deliveries that the SDK verifies', () => {
      const event = fake.event('account.updated', { id: 'acct_1', object: 'account' }, { account: 'acct_1' });
      const { body, signature } = fake.signedDelivery(event);
      expect(stripe.webhooks.constructEvent(body, signature, fake.webhookSecret).id).toBe(event.id);
    });
  });
});
