import { randomBytes } from 'node:crypto';
import { PaymentsPort } from '@app/billing';
import { JobQueue, QueueName } from '@app/common';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApiApp } from '../apps/api/src/bootstrap';
import { createWorkerApp } from '../apps/worker/src/bootstrap';
import { FakeStripe, INITIAL_ACCOUNT_REQUIREMENTS, type FakeStripeEvent } from './fakes/stripe.fake';
import { signUp, type SignedUp } from './support/api-client';
import { startIsolatedApi, type IsolatedApi } from './support/isolated-api';
import { until } from './support/until';

const PUBLIC_URL = 'http://localhost:3000';


let slugCounter = 0;
function uniqueSlug(tag: string): string {
  slugCounter += 1;
  return `${tag}-${randomBytes(3).toString('hex')}-${slugCounter}`;
}

function providerBody(tag: string): Record<string, string> {
  return {
    displayName: `Acme ${tag}`,
    slug: uniqueSlug(tag),
    supportEmail: `support+${tag}@acme.example`,
    websiteUrl: 'https://acme.example',
  };
}

interface InboxRow {
  id: string;
  type: string;
  account: string | null;
  processed_at: Date | null;
  attempts: number;
}

describe('provider onboarding with PAYMENTS=stripe (against a fake Stripe)', () => {
  let stripe: FakeStripe;
  let api: IsolatedApi;
  let worker: INestApplication | undefined;

  beforeAll(async () => {
    stripe = await FakeStripe.start();
    api = await startIsolatedApi('stripe-onboarding', { ...stripe.env, PUBLIC_URL });
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await stripe?.close();
  });

  /** The real worker on the same database and Redis prefix: it applies the inbox events. */
  async function startWorker(): Promise<void> {
    worker ??= await createWorkerApp({
      ...process.env,
      ...stripe.env,
      PUBLIC_URL,
      REDIS_PREFIX: api.redisPrefix,
    });
    await worker.init();
  }

  const inboxRows = (eventId: string): Promise<InboxRow[]> =>
    api.app
      .get(DataSource)
      .query<InboxRow[]>(
        'SELECT id, type, account, processed_at, attempts FROM stripe_events WHERE id = $1',
        [eventId],
      );

  const deliver = (event: FakeStripeEvent, options: { timestamp?: number; secret?: string } = {}) => {
    const { body, signature } = stripe.signedDelivery(event, options);
    return request(api.app.getHttpServer())
      .post('/v1/webhooks/stripe')
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', signature)
      .send(body);
  };

  async function newProvider(tag: string): Promise<{ user: SignedUp; provider: Record<string, unknown> }> {
    const user = await signUp(api.app, tag);
    const res = await user.agent
      .post('/v1/provider')
      .set('X-CSRF-Token', user.csrfToken)
      .send(providerBody(tag))
      .expect(201);
    return { user, provider: res.body };
  }

  const onboardingLink = (user: SignedUp) =>
    user.agent.post('/v1/provider/payouts/onboarding-link').set('X-CSRF-Token', user.csrfToken).send();

  it('onboards a provider end to end: account with controller properties, links, refresh, webhook once, worker → ready', async () => {
    const { user, provider } = await newProvider('flow');
    expect(provider).toMatchObject({ payoutStatus: 'not_started', websiteUrl: 'https://acme.example' });
    await user.agent.get('/v1/provider/payouts').expect(200, {
      mode: 'stripe',
      status: 'not_started',
      chargesEnabled: false,
      payoutsEnabled: false,
      requirements: [],
      onboardingRequired: true,
      accountConnected: false,
    });

    // first link: creates the connected account, then a single-use account link
    const first = await onboardingLink(user).expect(200);
    expect(first.body.url).toMatch(/^https:\/\/connect\.stripe\.com\/setup\/e\/acct_/);
    expect(first.body.status).toBe('not_started');
    expect(new Date(first.body.expiresAt).getTime()).toBeGreaterThan(Date.now());

    const creates = stripe.requestsTo('POST', '/v1/accounts');
    const ours = creates.filter(
      (r) => (r.body.metadata as Record<string, string> | undefined)?.providerId === provider.id,
    );
    expect(ours).toHaveLength(1);
    expect(ours[0].body).toEqual({
      controller: {
        stripe_dashboard: { type: 'express' },
        fees: { payer: 'application' },
        losses: { payments: 'application' },
      },
      capabilities: { card_payments: { requested: 'true' }, transfers: { requested: 'true' } },
      metadata: { providerId: provider.id },
    });
    expect(ours[0].idempotencyKey).toBe(`portico:connect-account:${String(provider.id)}`);
    const accountId = [...stripe.objects.accounts.values()].find(
      (a) => a.metadata.providerId === provider.id,
    )!.id;

    const links = () =>
      stripe.requestsTo('POST', '/v1/account_links').filter((r) => r.body.account === accountId);
    expect(links()).toHaveLength(1);
    expect(links()[0].body).toEqual({
      account: accountId,
      type: 'account_onboarding',
      return_url: `${PUBLIC_URL}/provider/payouts`,
      refresh_url: `${PUBLIC_URL}/v1/provider/payouts/onboarding-link/refresh`,
    });
    expect(links()[0].idempotencyKey).toMatch(new RegExp(`^portico:account-link:${accountId}:`));

    const afterLink = await user.agent.get('/v1/provider/payouts').expect(200);
    expect(afterLink.body).toMatchObject({ status: 'not_started', accountConnected: true });
    expect(afterLink.body.requirements).toEqual([...INITIAL_ACCOUNT_REQUIREMENTS].sort());

    // a second link reuses the account and is a new single-use link
    const second = await onboardingLink(user).expect(200);
    expect(second.body.url).not.toBe(first.body.url);
    expect(
      stripe
        .requestsTo('POST', '/v1/accounts')
        .filter((r) => (r.body.metadata as Record<string, string>).providerId === provider.id),
    ).toHaveLength(1);

    // Stripe's refresh URL: behind the session, mints a new link and redirects to it
    const refreshed = await user.agent
      .get('/v1/provider/payouts/onboarding-link/refresh')
      .redirects(0)
      .expect(302);
    expect(refreshed.headers.location).toBe(stripe.objects.accountLinks.at(-1)!.url);
    expect([first.body.url, second.body.url]).not.toContain(refreshed.headers.location);
    expect(links()).toHaveLength(3);
    await request(api.app.getHttpServer())
      .get('/v1/provider/payouts/onboarding-link/refresh')
      .redirects(0)
      .expect(401);

    // the provider finishes onboarding on Stripe; Stripe sends account.updated, twice
    stripe.completeOnboarding(accountId);
    const event = stripe.accountUpdatedEvent(accountId);
    await deliver(event).expect(200, { received: true });
    await deliver(event).expect(200, { received: true });

    const stored = await inboxRows(event.id);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ type: 'account.updated', account: accountId, processed_at: null });
    const queue = api.app.get(JobQueue).queue(QueueName.Billing);
    const job = await queue.getJob(event.id);
    expect(job?.name).toBe('billing.apply-stripe-event');
    expect(job?.data).toEqual({ eventId: event.id });
    expect(
      (await queue.getJobs(['waiting', 'prioritized', 'delayed'])).filter((j) => j.data.eventId === event.id),
    ).toHaveLength(1);
    // not applied by the api: still not ready until the worker runs
    await user.agent
      .get('/v1/provider/payouts')
      .expect(200)
      .expect((res) => expect(res.body.status).toBe('not_started'));

    await startWorker();
    const ready = await until(
      async () => (await user.agent.get('/v1/provider/payouts').expect(200)).body,
      (body) => body.status === 'ready',
    );
    expect(ready).toEqual({
      mode: 'stripe',
      status: 'ready',
      chargesEnabled: true,
      payoutsEnabled: true,
      requirements: [],
      onboardingRequired: true,
      accountConnected: true,
    });
    const processed = await until(
      () => inboxRows(event.id),
      (rows) => rows[0]?.processed_at !== null,
    );
    expect(processed[0].attempts).toBe(1);
    expect(stripe.requestsTo('GET', `/v1/accounts/${accountId}`).length).toBeGreaterThanOrEqual(1);
    await user.agent
      .get('/v1/provider')
      .expect(200)
      .expect((res) => expect(res.body.payoutStatus).toBe('ready'));

    // a late, older snapshot changes nothing: state is re-read from the account, not the event
    const stale = stripe.accountUpdatedEvent(accountId, {
      ...stripe.account(accountId),
      charges_enabled: false,
      payouts_enabled: false,
      details_submitted: true,
      requirements: { ...stripe.account(accountId).requirements, currently_due: ['external_account'] },
    });
    await deliver(stale).expect(200);
    await until(
      () => inboxRows(stale.id),
      (rows) => rows[0]?.processed_at !== null,
    );
    await user.agent
      .get('/v1/provider/payouts')
      .expect(200)
      .expect((res) => expect(res.body.status).toBe('ready'));

    // the same event delivered after it was processed is still stored once and applied once
    await deliver(event).expect(200, { received: true });
    expect(await inboxRows(event.id)).toEqual([expect.objectContaining({ attempts: 1 })]);
  });

  it('follows the account when Stripe later needs more information (restricted), from the current object', async () => {
    const { user } = await newProvider('restrict');
    await onboardingLink(user).expect(200);
    const provider = (await user.agent.get('/v1/provider').expect(200)).body as { id: string };
    const accountId = [...stripe.objects.accounts.values()].find(
      (a) => a.metadata.providerId === provider.id,
    )!.id;
    stripe.updateAccount(accountId, (account) => {
      account.details_submitted = true;
      account.requirements.currently_due = ['individual.verification.document'];
      account.requirements.past_due = [];
      account.requirements.disabled_reason = 'requirements.past_due';
    });
    await startWorker();
    await deliver(stripe.accountUpdatedEvent(accountId)).expect(200);
    const restricted = await until(
      async () => (await user.agent.get('/v1/provider/payouts').expect(200)).body,
      (body) => body.status === 'restricted',
    );
    expect(restricted.requirements).toEqual(['individual.verification.document']);
  });

  it('marks events it does not handle yet, and events about unknown accounts, processed without effect', async () => {
    await startWorker();
    const unhandled = stripe.event(
      'payout.paid',
      { id: 'po_123', object: 'payout', amount: 1000 },
      { account: 'acct_elsewhere' },
    );
    const unknown = stripe.accountUpdatedEvent('acct_unknown', {
      ...stripe.account([...stripe.objects.accounts.keys()][0]),
      id: 'acct_unknown',
    });
    await deliver(unhandled).expect(200);
    await deliver(unknown).expect(200);
    for (const id of [unhandled.id, unknown.id]) {
      const rows = await until(
        () => inboxRows(id),
        (r) => r[0]?.processed_at !== null,
      );
      expect(rows[0].attempts).toBe(1);
    }
    expect(stripe.requestsTo('GET', '/v1/accounts/acct_unknown')).toHaveLength(0);
  });

  it('refuses a bad signature, a missing one, and timestamps more than 300 s old or ahead with 400, storing nothing', async () => {
    const attempts: [string, () => request.Test][] = [
      [
        'wrong secret',
        () =>
          deliver(stripe.event('account.updated', { id: 'acct_x' }), { secret: 'whsec_not_the_right_one' }),
      ],
      [
        'old timestamp',
        () =>
          deliver(stripe.event('account.updated', { id: 'acct_x' }), {
            timestamp: Math.floor(Date.now() / 1000) - 310,
          }),
      ],
      [
        'future timestamp',
        () =>
          deliver(stripe.event('account.updated', { id: 'acct_x' }), {
            // a margin past 300 s: the server reads its clock a moment later than this line
            timestamp: Math.floor(Date.now() / 1000) + 310,
          }),
      ],
    ];
    for (const [label, send] of attempts) {
      const res = await send().expect(400);
      expect({ label, code: res.body.code }).toEqual({ label, code: 'webhook_signature_invalid' });
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    const event = stripe.event('account.updated', { id: 'acct_x' });
    const { body } = stripe.signedDelivery(event);
    const missing = await request(api.app.getHttpServer())
      .post('/v1/webhooks/stripe')
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(400);
    expect(missing.body.code).toBe('webhook_signature_invalid');
    // a body changed after signing
    const { signature } = stripe.signedDelivery(event);
    await request(api.app.getHttpServer())
      .post('/v1/webhooks/stripe')
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', signature)
      .send(body.replace('acct_x', 'acct_y'))
      .expect(400);
    const [{ count }] = await api.app
      .get(DataSource)
      .query<{ count: string }[]>(
        "SELECT count(*) FROM stripe_events WHERE payload->'data'->'object'->>'id' IN ('acct_x', 'acct_y')",
      );
    expect(count).toBe('0');
  });

  it('answers 502 payments_provider_error when Stripe refuses to create the account, records nothing, and works on retry', async () => {
    const { user } = await newProvider('refused');
    stripe.failNext('POST', '/v1/accounts', 400, {
      type: 'invalid_request_error',
      message: 'You must complete your platform profile to use Connect.',
    });
    const refused = await onboardingLink(user).expect(502);
    expect(refused.body.code).toBe('payments_provider_error');
    expect(refused.body.detail).toContain('platform profile');
    await user.agent
      .get('/v1/provider/payouts')
      .expect(200)
      .expect((res) => expect(res.body.accountConnected).toBe(false));
    await onboardingLink(user).expect(200);
    await user.agent
      .get('/v1/provider/payouts')
      .expect(200)
      .expect((res) => expect(res.body.accountConnected).toBe(true));
  });

  it('creates one connected account per provider however often the call is repeated (idempotency key from the provider id)', async () => {
    const port = api.app.get(PaymentsPort);
    const providerId = '6f1c1f55-0000-4000-8000-000000000001';
    const first = await port.createConnectedAccount({ providerId });
    const again = await port.createConnectedAccount({ providerId });
    expect(again.id).toBe(first.id);
    const sent = stripe
      .requestsTo('POST', '/v1/accounts')
      .filter((r) => r.idempotencyKey === `portico:connect-account:${providerId}`);
    expect(sent.map((r) => r.replayed)).toEqual([false, true]);
    expect(
      [...stripe.objects.accounts.values()].filter((a) => a.metadata.providerId === providerId),
    ).toHaveLength(1);
  });

  it('validates the provider profile: slug rules, a taken slug, one provider per account, unknown fields', async () => {
    const user = await signUp(api.app, 'rules');
    const post = (body: object) =>
      user.agent.post('/v1/provider').set('X-CSRF-Token', user.csrfToken).send(body);

    const notYet = await user.agent.get('/v1/provider').expect(404);
    expect(notYet.body.detail).toContain('POST /v1/provider');
    await user.agent.get('/v1/provider/payouts').expect(404);
    await onboardingLink(user).expect(404);

    for (const slug of ['Acme', 'ab', '-acme', 'acme-', 'ac me', 'a'.repeat(65), 'acmé']) {
      const res = await post({ ...providerBody('rules'), slug }).expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'slug' })]));
    }
    await post({ ...providerBody('rules'), displayName: 'x'.repeat(101) }).expect(400);
    await post({ ...providerBody('rules'), supportEmail: 'not-an-email' }).expect(400);
    await post({ ...providerBody('rules'), websiteUrl: 'ftp://acme.example' }).expect(400);
    await post({ ...providerBody('rules'), websiteUrl: 'https://user:pw@acme.example' }).expect(400);
    for (const extra of [
      { payoutStatus: 'ready' },
      { stripeAccountId: 'acct_1' },
      { feeBpsOverride: 0 },
      { ownerAccountId: user.accountId },
    ]) {
      const res = await post({ ...providerBody('rules'), ...extra }).expect(400);
      expect(res.body.code).toBe('validation_failed');
    }
    await user.agent.get('/v1/provider').expect(404);

    const taken = (await newProvider('taken')).provider.slug as string;
    const conflict = await post({ ...providerBody('rules'), slug: taken }).expect(409);
    expect(conflict.body).toMatchObject({ code: 'conflict', field: 'slug' });
    expect(conflict.body.detail).toContain(taken);

    const created = await post({ ...providerBody('rules'), websiteUrl: undefined }).expect(201);
    expect(created.body.websiteUrl).toBeNull();
    const again = await post(providerBody('rules')).expect(409);
    expect(again.body.detail).toContain('already');

    const patched = await user.agent
      .patch('/v1/provider')
      .set('X-CSRF-Token', user.csrfToken)
      .send({ displayName: 'Acme Renamed', websiteUrl: 'http://acme.example/docs' })
      .expect(200);
    expect(patched.body).toMatchObject({
      displayName: 'Acme Renamed',
      websiteUrl: 'http://acme.example/docs',
      slug: created.body.slug,
    });
    await user.agent
      .patch('/v1/provider')
      .set('X-CSRF-Token', user.csrfToken)
      .send({ websiteUrl: null })
      .expect(200)
      .expect((res) => expect(res.body.websiteUrl).toBeNull());
    await user.agent
      .patch('/v1/provider')
      .set('X-CSRF-Token', user.csrfToken)
      .send({ slug: 'new-slug' })
      .expect(400);
    await user.agent
      .patch('/v1/provider')
      .set('X-CSRF-Token', user.csrfToken)
      .send({ displayName: null })
      .expect(400);
    await user.agent
      .patch('/v1/provider')
      .set('X-CSRF-Token', user.csrfToken)
      .send({ payoutStatus: 'ready' })
      .expect(400);
    await user.agent.patch('/v1/provider').send({ displayName: 'no csrf' }).expect(403);
    await request(api.app.getHttpServer()).post('/v1/provider').send(providerBody('anon')).expect(401);
  });
});

describe('provider onboarding with PAYMENTS=local', () => {
  let api: IsolatedApi;

  beforeAll(async () => {
    api = await startIsolatedApi('local-onboarding', { PAYMENTS: 'local', PUBLIC_URL });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('makes payouts ready at once: no link to follow, the refresh route goes back to the payouts page, no Stripe webhooks', async () => {
    const user = await signUp(api.app, 'local');
    const created = await user.agent
      .post('/v1/provider')
      .set('X-CSRF-Token', user.csrfToken)
      .send(providerBody('local'))
      .expect(201);
    expect(created.body.payoutStatus).toBe('ready');
    await user.agent.get('/v1/provider/payouts').expect(200, {
      mode: 'local',
      status: 'ready',
      chargesEnabled: true,
      payoutsEnabled: true,
      requirements: [],
      onboardingRequired: false,
      accountConnected: false,
    });
    await user.agent
      .post('/v1/provider/payouts/onboarding-link')
      .set('X-CSRF-Token', user.csrfToken)
      .expect(200, { url: null, expiresAt: null, status: 'ready' });
    const refresh = await user.agent
      .get('/v1/provider/payouts/onboarding-link/refresh')
      .redirects(0)
      .expect(302);
    expect(refresh.headers.location).toBe(`${PUBLIC_URL}/provider/payouts`);
    const webhook = await request(api.app.getHttpServer())
      .post('/v1/webhooks/stripe')
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', 't=1,v1=00')
      .send('{"id":"evt_1"}')
      .expect(404);
    expect(webhook.body.code).toBe('not_found');
  });
});

describe('payments configuration', () => {
  it.each(['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'])(
    'refuses to boot with PAYMENTS=stripe and no %s, naming it',
    async (variable) => {
      const env: Record<string, string | undefined> = {
        ...process.env,
        PAYMENTS: 'stripe',
        STRIPE_SECRET_KEY: 'sk_test_x',
        STRIPE_WEBHOOK_SECRET: 'whsec_x',
        [variable]: undefined,
      };
      await expect(createApiApp(env)).rejects.toThrow(variable);
      await expect(createWorkerApp(env)).rejects.toThrow(variable);
    },
  );

  it('refuses an unknown PAYMENTS value and a platform fee over 100 %', async () => {
    await expect(createApiApp({ ...process.env, PAYMENTS: 'paypal' })).rejects.toThrow('PAYMENTS');
    await expect(createApiApp({ ...process.env, PLATFORM_FEE_BPS: '10001' })).rejects.toThrow(
      'PLATFORM_FEE_BPS',
    );
  });
});
