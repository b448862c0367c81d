import { randomUUID } from 'node:crypto';
import { NO_PLAN_SUBSCRIBERS, PlanSubscribers, PlansService, type PayoutStatus } from '@app/catalog';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { signUp, startApi } from './support/api-client';
import { CatalogFixtures, SMALL_DOCUMENT, type CatalogProvider } from './support/catalog-fixtures';

type Provider = CatalogProvider;
type SignedUpAgent = Awaited<ReturnType<typeof signUp>>['agent'];

interface PlanBody {
  id: string;
  familyId: string;
  version: number;
  status: string;
  name: string;
  supersededByPlanId: string | null;
  [field: string]: unknown;
}

const PAID_PLAN = {
  name: 'Pro',
  description: 'For production use',
  priceAmountMinor: 2500,
  currency: 'USD',
  quotaPeriod: 'month',
  quotaLimit: 100_000,
  quotaMode: 'soft',
  overageUnitPriceMinor: '0.05',
  rateLimit: { perSecond: 20, perMinute: 600, perHour: 20_000, burst: 10 },
  sortOrder: 2,
};

describe('pricing plans (HTTP)', () => {
  let app: INestApplication;
  let dataSource: DataSource;

  beforeAll(async () => {
    app = await startApi();
    dataSource = app.get(DataSource);
    fixtures = new CatalogFixtures(app, dataSource);
  });

  afterAll(async () => {
    await app.close();
  });

  let fixtures: CatalogFixtures;

  const newProvider = (tag: string, payoutStatus: PayoutStatus = 'ready'): Promise<Provider> =>
    fixtures.provider(tag, payoutStatus);
  /** A draft listing through POST /v1/provider/apis (which gives it its default free plan). */
  const newListing = async (provider: Provider): Promise<string> => (await fixtures.listing(provider)).id;
  const publishListing = async (provider: Provider, apiId: string): Promise<void> => {
    await post(provider, `/v1/provider/apis/${apiId}/publish`, {}).expect(200);
  };

  const plansUrl = (apiId: string) => `/v1/provider/apis/${apiId}/plans`;
  const post = (p: Provider, url: string, body: object) =>
    p.user.agent.post(url).set('X-CSRF-Token', p.user.csrfToken).send(body);
  const patch = (p: Provider, url: string, body: object) =>
    p.user.agent.patch(url).set('X-CSRF-Token', p.user.csrfToken).send(body);
  const listPlans = async (p: Provider, apiId: string, query = ''): Promise<PlanBody[]> =>
    (await p.user.agent.get(`${plansUrl(apiId)}${query}`).expect(200)).body as PlanBody[];
  const planRow = async (planId: string): Promise<Record<string, unknown>> =>
    (await dataSource.query<Record<string, unknown>[]>('SELECT * FROM plans WHERE id = $1', [planId]))[0];

  it('gives every new API the editable free "Basic" plan', async () => {
    const acme = await newProvider('default-plan');
    const apiId = await newListing(acme);
    const plans = await listPlans(acme, apiId);
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({
      name: 'Basic',
      priceAmountMinor: '0',
      priceDecimal: '0.00',
      currency: 'USD',
      currencyMinorUnits: 2,
      paid: false,
      quotaPeriod: 'month',
      quotaLimit: 1000,
      quotaMode: 'hard',
      overageUnitPriceMinor: null,
      rateLimit: { perSecond: 5 },
      includedEndpoints: null,
      visibility: 'public',
      status: 'active',
      version: 1,
      supersededByPlanId: null,
    });
    expect(plans[0].familyId).toBe(plans[0].id);

    const edited = await patch(acme, `${plansUrl(apiId)}/${plans[0].id}`, {
      quotaLimit: 5000,
      name: 'Free',
    }).expect(200);
    expect(edited.body).toMatchObject({
      outcome: 'edited',
      previousPlanId: null,
      plan: { id: plans[0].id, name: 'Free', quotaLimit: 5000, version: 1 },
    });
  });

  it('creates a paid plan with every field, lists plans by sort order and reads one', async () => {
    const acme = await newProvider('create');
    const apiId = await newListing(acme);
    const created = await post(acme, plansUrl(apiId), {
      ...PAID_PLAN,
      visibility: 'public',
      approvalRequired: true,
      trialDays: 14,
      includedEndpoints: ['GET /search', 'GET /items/{id}'],
      endpointWeights: { 'GET /search': 5 },
      endpointRateLimits: { 'GET /search': { perSecond: 2 } },
    }).expect(201);
    expect(created.body).toMatchObject({
      apiId,
      name: 'Pro',
      priceAmountMinor: '2500',
      priceDecimal: '25.00',
      paid: true,
      quotaLimit: 100_000,
      quotaMode: 'soft',
      overageUnitPriceMinor: '0.05',
      rateLimit: { perSecond: 20, perMinute: 600, perHour: 20_000, burst: 10 },
      includedEndpoints: ['GET /items/{id}', 'GET /search'],
      endpointWeights: { 'GET /search': 5 },
      endpointRateLimits: { 'GET /search': { perSecond: 2 } },
      approvalRequired: true,
      trialDays: 14,
      status: 'active',
      version: 1,
    });
    // exact decimals and bigints in the database
    expect(await planRow(created.body.id)).toMatchObject({
      overage_unit_price_minor: '0.0500000000',
      price_amount_minor: '2500',
    });

    const ultra = await post(acme, plansUrl(apiId), {
      name: 'Ultra',
      priceAmountMinor: '9223372036854775807',
      sortOrder: 1,
    }).expect(201);
    expect(ultra.body).toMatchObject({
      priceAmountMinor: '9223372036854775807',
      priceDecimal: '92233720368547758.07',
    });

    expect((await listPlans(acme, apiId)).map((p) => p.name)).toEqual(['Basic', 'Ultra', 'Pro']);
    await acme.user.agent.get(`${plansUrl(apiId)}/${created.body.id}`).expect(200, created.body);
  });

  it('prices a JPY plan in yen: 1000 minor units is ¥1000', async () => {
    const acme = await newProvider('jpy');
    const apiId = await newListing(acme);
    const res = await post(acme, plansUrl(apiId), {
      name: 'Yen',
      priceAmountMinor: 1000,
      currency: 'JPY',
    }).expect(201);
    expect(res.body).toMatchObject({
      priceAmountMinor: '1000',
      currency: 'JPY',
      currencyMinorUnits: 0,
      priceDecimal: '1000',
    });
  });

  it('refuses bad plans with validation_failed naming the field', async () => {
    const acme = await newProvider('bad-input');
    const apiId = await newListing(acme);
    const cases: [object, string][] = [
      [{ name: 'A', priceAmountMinor: -1 }, 'priceAmountMinor'],
      [{ name: 'A', priceAmountMinor: 1.5 }, 'priceAmountMinor'],
      [{ name: 'A', priceAmountMinor: '1.50' }, 'priceAmountMinor'],
      [{ name: 'A', priceAmountMinor: '9223372036854775808' }, 'priceAmountMinor'],
      [{ name: 'A', currency: 'usd' }, 'currency'],
      [{ name: 'A', currency: 'XAU' }, 'currency'],
      [{ name: 'A', quotaMode: 'soft', quotaLimit: 10 }, 'overageUnitPriceMinor'],
      [
        { name: 'A', quotaMode: 'soft', quotaLimit: 10, overageUnitPriceMinor: 0.05 },
        'overageUnitPriceMinor',
      ],
      [
        { name: 'A', quotaMode: 'soft', quotaLimit: 10, overageUnitPriceMinor: '0.00000000001' },
        'overageUnitPriceMinor',
      ],
      [
        { name: 'A', quotaMode: 'hard', quotaLimit: 10, overageUnitPriceMinor: '0.05' },
        'overageUnitPriceMinor',
      ],
      [{ name: 'A', quotaLimit: 0 }, 'quotaLimit'],
      [{ name: 'A', rateLimit: { perSecond: 10, perMinute: 5 } }, 'rateLimit.perMinute'],
      [{ name: 'A', rateLimit: { burst: 5 } }, 'rateLimit.burst'],
      [{ name: 'A', rateLimit: { perDay: 5 } }, 'rateLimit.perDay'],
      [{ name: 'A', endpointWeights: { 'GET /search': 0 } }, 'endpointWeights.GET /search'],
      [{ name: 'A', includedEndpoints: ['get /search'] }, 'includedEndpoints'],
      [{ name: 'A', trialDays: 366 }, 'trialDays'],
      [{ name: 'x'.repeat(51) }, 'name'],
      [{ name: 'A', visibility: 'secret' }, 'visibility'],
    ];
    for (const [body, field] of cases) {
      const res = await post(acme, plansUrl(apiId), body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({
        body,
        status: 400,
        code: 'validation_failed',
      });
      const fields = (res.body.errors as { field: string }[]).map((e) => e.field);
      expect({ body, fields }).toEqual({
        body,
        fields: expect.arrayContaining([expect.stringContaining(field)]) as unknown,
      });
    }
    expect(await listPlans(acme, apiId)).toHaveLength(1);
  });

  it('checks included endpoints and weights against the current version, naming the unknown ones', async () => {
    const acme = await newProvider('endpoints');
    const apiId = await newListing(acme);
    // before any version is current, well-formed keys are accepted as they are
    await post(acme, plansUrl(apiId), { name: 'Early', includedEndpoints: ['GET /later'] }).expect(201);

    const imported = await post(acme, `/v1/apis/${apiId}/versions`, SMALL_DOCUMENT).expect(201);
    await post(acme, `/v1/apis/${apiId}/versions/${imported.body.id}/publish`, {}).expect(200);

    const bad = await post(acme, plansUrl(apiId), {
      name: 'Search',
      includedEndpoints: ['GET /search', 'POST /search', 'GET /nope'],
      endpointWeights: { 'GET /search': 5 },
    }).expect(400);
    expect(bad.body.code).toBe('validation_failed');
    expect(bad.body.errors).toEqual([
      {
        field: 'includedEndpoints',
        message: expect.stringContaining('"POST /search", "GET /nope"') as string,
      },
    ]);

    const good = await post(acme, plansUrl(apiId), {
      name: 'Search',
      includedEndpoints: ['GET /search', 'GET /items/{id}'],
      endpointWeights: { 'GET /search': 5, 'GET /items/{id}': 2 },
    }).expect(201);
    const stray = await patch(acme, `${plansUrl(apiId)}/${good.body.id}`, {
      endpointWeights: { 'DELETE /items/{id}': 3 },
    }).expect(400);
    expect(stray.body.errors).toEqual([
      { field: 'endpointWeights', message: expect.stringContaining('"DELETE /items/{id}"') as string },
    ]);
  });

  it('edits terms in place while the API is a draft, and versions them once it has been published', async () => {
    const acme = await newProvider('versioning');
    const apiId = await newListing(acme);
    const pro = (await post(acme, plansUrl(apiId), { name: 'Pro', priceAmountMinor: 1000 }).expect(201))
      .body as PlanBody;

    const draftEdit = await patch(acme, `${plansUrl(apiId)}/${pro.id}`, { priceAmountMinor: 1200 }).expect(
      200,
    );
    expect(draftEdit.body).toMatchObject({
      outcome: 'edited',
      plan: { id: pro.id, priceAmountMinor: '1200', version: 1 },
    });

    await publishListing(acme, apiId);

    const same = await patch(acme, `${plansUrl(apiId)}/${pro.id}`, { priceAmountMinor: '1200' }).expect(200);
    expect(same.body).toMatchObject({ outcome: 'unchanged', plan: { id: pro.id } });

    const cosmetic = await patch(acme, `${plansUrl(apiId)}/${pro.id}`, {
      name: 'Professional',
      description: 'Now with more',
      sortOrder: 5,
      trialDays: 7,
    }).expect(200);
    expect(cosmetic.body).toMatchObject({
      outcome: 'edited',
      plan: { id: pro.id, name: 'Professional', trialDays: 7, version: 1 },
    });

    const before = await planRow(pro.id);
    const versioned = await patch(acme, `${plansUrl(apiId)}/${pro.id}`, {
      priceAmountMinor: 1500,
      rateLimit: { perSecond: 50 },
    }).expect(200);
    expect(versioned.body).toMatchObject({
      outcome: 'versioned',
      previousPlanId: pro.id,
      plan: {
        familyId: pro.familyId,
        version: 2,
        status: 'active',
        name: 'Professional',
        priceAmountMinor: '1500',
        rateLimit: { perSecond: 50 },
      },
    });
    const v2 = versioned.body.plan as PlanBody;
    expect(v2.id).not.toBe(pro.id);

    // the old version keeps its terms for its subscribers, and points to the new one
    const after = await planRow(pro.id);
    expect(after).toEqual({
      ...before,
      status: 'superseded',
      superseded_by_plan_id: v2.id,
      updated_at: after.updated_at,
    });
    await acme.user.agent
      .get(`${plansUrl(apiId)}/${pro.id}`)
      .expect(200)
      .expect((res) => {
        expect(res.body).toMatchObject({
          status: 'superseded',
          supersededByPlanId: v2.id,
          priceAmountMinor: '1200',
        });
      });

    // a superseded version cannot be changed or archived
    const stale = await patch(acme, `${plansUrl(apiId)}/${pro.id}`, { priceAmountMinor: 1 }).expect(409);
    expect(stale.body).toMatchObject({ code: 'conflict', supersededByPlanId: v2.id });
    await post(acme, `${plansUrl(apiId)}/${pro.id}/archive`, {}).expect(409);

    expect((await listPlans(acme, apiId)).map((p) => [p.name, p.version])).toEqual([
      ['Basic', 1],
      ['Professional', 2],
    ]);
    expect(
      (await listPlans(acme, apiId, '?includeSuperseded=true')).map((p) => [p.name, p.version, p.status]),
    ).toEqual([
      ['Basic', 1, 'active'],
      ['Professional', 1, 'superseded'],
      ['Professional', 2, 'active'],
    ]);
  });

  it('versions a plan with subscribers even while its API is a draft (the subscriber-count port)', async () => {
    const acme = await newProvider('subscribers');
    const apiId = await newListing(acme);
    const pro = (await post(acme, plansUrl(apiId), { name: 'Pro', priceAmountMinor: 1000 }).expect(201))
      .body as PlanBody;
    const port = app.get(PlanSubscribers);
    port.use({ countSubscribers: (planId) => Promise.resolve(planId === pro.id ? 3 : 0) });
    try {
      const renamed = await patch(acme, `${plansUrl(apiId)}/${pro.id}`, { name: 'Pro+' }).expect(200);
      expect(renamed.body).toMatchObject({ outcome: 'edited', plan: { id: pro.id } });
      const repriced = await patch(acme, `${plansUrl(apiId)}/${pro.id}`, { priceAmountMinor: 900 }).expect(
        200,
      );
      expect(repriced.body).toMatchObject({
        outcome: 'versioned',
        previousPlanId: pro.id,
        plan: { version: 2, name: 'Pro+' },
      });
    } finally {
      port.use(NO_PLAN_SUBSCRIBERS);
    }
  });

  it('keeps plan names unique among active plans', async () => {
    const acme = await newProvider('names');
    const apiId = await newListing(acme);
    const res = await post(acme, plansUrl(apiId), { name: 'basic' }).expect(409);
    expect(res.body).toMatchObject({ code: 'conflict', field: 'name' });
    const pro = (await post(acme, plansUrl(apiId), { name: 'Pro' }).expect(201)).body as PlanBody;
    await patch(acme, `${plansUrl(apiId)}/${pro.id}`, { name: 'BASIC' }).expect(409);
  });

  it('serializes concurrent writes: one new version per change, one plan per name', async () => {
    const acme = await newProvider('concurrent');
    const apiId = await newListing(acme);
    await publishListing(acme, apiId);
    const [basic] = await listPlans(acme, apiId);
    const edits = await Promise.all(
      [1001, 1002, 1003, 1004].map((quotaLimit) =>
        patch(acme, `${plansUrl(apiId)}/${basic.id}`, { quotaLimit }),
      ),
    );
    expect(edits.map((res) => res.status).sort()).toEqual([200, 409, 409, 409]);
    const history = await listPlans(acme, apiId, '?includeSuperseded=true');
    expect(history.map((p) => [p.version, p.status])).toEqual([
      [1, 'superseded'],
      [2, 'active'],
    ]);

    const creates = await Promise.all([1, 2, 3].map(() => post(acme, plansUrl(apiId), { name: 'Racer' })));
    expect(creates.map((res) => res.status).sort()).toEqual([201, 409, 409]);
  });

  it('archives a plan: hidden from the public, closed to changes, idempotent', async () => {
    const acme = await newProvider('archive');
    const apiId = await newListing(acme);
    await publishListing(acme, apiId);
    const pro = (await post(acme, plansUrl(apiId), { name: 'Pro', priceAmountMinor: 1000 }).expect(201))
      .body as PlanBody;
    const plans = app.get(PlansService);
    expect((await plans.listPublic(apiId)).map((p) => p.name)).toEqual(['Basic', 'Pro']);
    const slug = (await acme.user.agent.get(`/v1/provider/apis/${apiId}`).expect(200)).body.slug as string;
    const publicPlans = async (): Promise<string[]> =>
      (
        (await request(app.getHttpServer()).get(`/v1/apis/${slug}`).expect(200)).body.plans as {
          name: string;
        }[]
      ).map((p) => p.name);
    expect(await publicPlans()).toEqual(['Basic', 'Pro']);

    const archived = await post(acme, `${plansUrl(apiId)}/${pro.id}/archive`, {}).expect(200);
    expect(archived.body).toMatchObject({ id: pro.id, status: 'archived' });
    await post(acme, `${plansUrl(apiId)}/${pro.id}/archive`, {}).expect(200);
    expect((await plans.listPublic(apiId)).map((p) => p.name)).toEqual(['Basic']);
    expect(await publicPlans()).toEqual(['Basic']);
    expect(await plans.findSubscribable(pro.id, null)).toBeNull();
    expect(await plans.findById(pro.id)).toMatchObject({ status: 'archived' });
    await patch(acme, `${plansUrl(apiId)}/${pro.id}`, { name: 'Revived' }).expect(409);
    // an archived name is free again
    await post(acme, plansUrl(apiId), { name: 'Pro' }).expect(201);
  });

  describe('payouts gate', () => {
    it('lets a draft hold paid plans but refuses to publish it until payouts are ready', async () => {
      const acme = await newProvider('gate-draft', 'not_started');
      const apiId = await newListing(acme);
      await post(acme, plansUrl(apiId), PAID_PLAN).expect(201);

      const refused = await post(acme, `/v1/provider/apis/${apiId}/publish`, {}).expect(409);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({
        code: 'payouts_not_ready',
        status: 409,
        onboardingUrl: '/v1/provider/payouts/onboarding-link',
        payoutStatus: 'not_started',
      });
      expect(refused.body.detail).toContain('"Pro"');
      await acme.user.agent
        .get(`/v1/provider/apis/${apiId}`)
        .expect(200)
        .expect((res) => expect(res.body.status).toBe('draft'));

      await dataSource.query(`UPDATE providers SET payout_status = 'ready' WHERE id = $1`, [acme.providerId]);
      await publishListing(acme, apiId);
    });

    it('refuses to publish an API without an active plan', async () => {
      const acme = await newProvider('gate-empty');
      const apiId = await newListing(acme);
      const [basic] = await listPlans(acme, apiId);
      await post(acme, `${plansUrl(apiId)}/${basic.id}/archive`, {}).expect(200);
      const refused = await post(acme, `/v1/provider/apis/${apiId}/publish`, {}).expect(409);
      expect(refused.body).toMatchObject({
        code: 'conflict',
        detail: expect.stringContaining('no active plan') as string,
      });
      await expect(app.get(PlansService).assertPublishable(apiId)).rejects.toMatchObject({
        code: 'conflict',
      });
    });

    it('refuses a paid plan on a published API with payouts_not_ready and the onboarding link, free plans pass', async () => {
      const acme = await newProvider('gate-live', 'pending');
      const apiId = await newListing(acme);
      await publishListing(acme, apiId);

      const refused = await post(acme, plansUrl(apiId), PAID_PLAN).expect(409);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({
        type: 'https://portico.dev/errors/payouts_not_ready',
        code: 'payouts_not_ready',
        status: 409,
        onboardingUrl: '/v1/provider/payouts/onboarding-link',
        payoutStatus: 'pending',
      });
      expect(refused.body.detail).toMatch(/payout/i);
      // price 0 but soft quota with overage is paid too
      await post(acme, plansUrl(apiId), {
        name: 'Metered',
        quotaLimit: 100,
        quotaMode: 'soft',
        overageUnitPriceMinor: '0.1',
      }).expect(409);

      const free = (await post(acme, plansUrl(apiId), { name: 'Hobby', quotaLimit: 50 }).expect(201))
        .body as PlanBody;
      const upgrade = await patch(acme, `${plansUrl(apiId)}/${free.id}`, { priceAmountMinor: 500 }).expect(
        409,
      );
      expect(upgrade.body.code).toBe('payouts_not_ready');
      // cosmetic edits are never blocked
      await patch(acme, `${plansUrl(apiId)}/${free.id}`, { description: 'For hobbyists' }).expect(200);
      expect((await listPlans(acme, apiId)).map((p) => p.name)).toEqual(['Basic', 'Hobby']);

      await dataSource.query(`UPDATE providers SET payout_status = 'ready' WHERE id = $1`, [acme.providerId]);
      await post(acme, plansUrl(apiId), PAID_PLAN).expect(201);
    });
  });

  describe('private plans', () => {
    it('shows a private plan only to invited accounts, and new versions keep the invitations', async () => {
      const acme = await newProvider('private');
      const apiId = await newListing(acme);
      await publishListing(acme, apiId);
      const partner = await signUp(app, 'partner');
      const stranger = await signUp(app, 'stranger');
      const plans = app.get(PlansService);

      const custom = (
        await post(acme, plansUrl(apiId), { name: 'Custom', visibility: 'private', quotaLimit: 10 }).expect(
          201,
        )
      ).body as PlanBody;
      expect((await plans.listPublic(apiId)).map((p) => p.name)).toEqual(['Basic']);

      const invited = await post(acme, `${plansUrl(apiId)}/${custom.id}/invitations`, {
        emails: [partner.email.toUpperCase(), partner.email, 'someone-later@example.com'],
      }).expect(201);
      expect((invited.body as { email: string }[]).map((i) => i.email).sort()).toEqual(
        [partner.email, 'someone-later@example.com'].sort(),
      );
      // inviting again changes nothing
      await post(acme, `${plansUrl(apiId)}/${custom.id}/invitations`, { emails: [partner.email] }).expect(
        201,
      );
      expect(
        (await acme.user.agent.get(`${plansUrl(apiId)}/${custom.id}/invitations`).expect(200)).body,
      ).toHaveLength(2);

      expect((await plans.listVisibleTo(apiId, partner.email)).map((p) => p.name)).toEqual([
        'Basic',
        'Custom',
      ]);
      expect((await plans.listVisibleTo(apiId, stranger.email)).map((p) => p.name)).toEqual(['Basic']);
      // the listing page shows the invited account its private plan, and nobody else
      const slug = (await acme.user.agent.get(`/v1/provider/apis/${apiId}`).expect(200)).body.slug as string;
      const pageFor = async (agent: SignedUpAgent | null): Promise<string[]> =>
        ((await (agent ?? request(app.getHttpServer())).get(`/v1/apis/${slug}`).expect(200)).body.plans as { name: string }[]).map(
          (plan) => plan.name,
        );
      expect(await pageFor(partner.agent)).toEqual(['Basic', 'Custom']);
      expect(await pageFor(stranger.agent)).toEqual(['Basic']);
      expect(await pageFor(null)).toEqual(['Basic']);
      expect(await plans.findSubscribable(custom.id, partner.email)).toMatchObject({ id: custom.id });
      expect(await plans.findSubscribable(custom.id, stranger.email)).toBeNull();

      // a new version (published API, terms changed) carries the invitations over
      const v2 = (await patch(acme, `${plansUrl(apiId)}/${custom.id}`, { quotaLimit: 20 }).expect(200)).body
        .plan as PlanBody;
      expect((await plans.listVisibleTo(apiId, partner.email)).map((p) => [p.name, p.id])).toEqual([
        ['Basic', expect.any(String)],
        ['Custom', v2.id],
      ]);
      const v2Invitations = (await acme.user.agent.get(`${plansUrl(apiId)}/${v2.id}/invitations`).expect(200))
        .body as { id: string; email: string }[];
      expect(v2Invitations).toHaveLength(2);

      const mine = v2Invitations.find((i) => i.email === partner.email)!;
      await acme.user.agent
        .delete(`${plansUrl(apiId)}/${v2.id}/invitations/${mine.id}`)
        .set('X-CSRF-Token', acme.user.csrfToken)
        .expect(204);
      await acme.user.agent
        .delete(`${plansUrl(apiId)}/${v2.id}/invitations/${mine.id}`)
        .set('X-CSRF-Token', acme.user.csrfToken)
        .expect(404);
      expect((await plans.listVisibleTo(apiId, partner.email)).map((p) => p.name)).toEqual(['Basic']);
    });

    it('refuses invitations to a public plan and bad emails', async () => {
      const acme = await newProvider('private-bad');
      const apiId = await newListing(acme);
      const [basic] = await listPlans(acme, apiId);
      const res = await post(acme, `${plansUrl(apiId)}/${basic.id}/invitations`, {
        emails: ['a@example.com'],
      }).expect(409);
      expect(res.body.detail).toMatch(/private/);
      const bad = await post(acme, `${plansUrl(apiId)}/${basic.id}/invitations`, {
        emails: ['not-an-email'],
      }).expect(400);
      expect(bad.body.code).toBe('validation_failed');
      await post(acme, `${plansUrl(apiId)}/${basic.id}/invitations`, { emails: [] }).expect(400);
    });
  });

  it("answers another provider's, a consumer's and an unknown id alike with 404, and anonymous with 401", async () => {
    const acme = await newProvider('owner');
    const other = await newProvider('other');
    const consumer = await signUp(app, 'consumer');
    const apiId = await newListing(acme);
    const [basic] = await listPlans(acme, apiId);

    for (const user of [other.user, consumer]) {
      for (const url of [plansUrl(apiId), `${plansUrl(apiId)}/${basic.id}`, plansUrl(randomUUID())]) {
        const res = await user.agent.get(url).expect(404);
        expect(res.body.code).toBe('not_found');
      }
      await user.agent
        .patch(`${plansUrl(apiId)}/${basic.id}`)
        .set('X-CSRF-Token', user.csrfToken)
        .send({ priceAmountMinor: 1 })
        .expect(404);
      await user.agent
        .post(plansUrl(apiId))
        .set('X-CSRF-Token', user.csrfToken)
        .send({ name: 'Planted' })
        .expect(404);
    }
    // the plan id must belong to the API in the path
    const otherApi = await newListing(acme);
    await acme.user.agent.get(`${plansUrl(otherApi)}/${basic.id}`).expect(404);

    await request(app.getHttpServer()).get(plansUrl(apiId)).expect(401);
    expect(await listPlans(acme, apiId)).toEqual([basic]);
  });
  it('counts a soft-quota plan as paid in the public catalog (pricing filter and flags)', async () => {
    const acme = await newProvider('soft-paid');
    const apiId = await newListing(acme);
    // no monthly price, but overage is billed: that is a paid plan
    await post(acme, plansUrl(apiId), {
      name: 'Pay as you go',
      priceAmountMinor: 0,
      quotaLimit: 1000,
      quotaMode: 'soft',
      overageUnitPriceMinor: '0.10',
    }).expect(201);
    await publishListing(acme, apiId);
    const slug = (await acme.user.agent.get(`/v1/provider/apis/${apiId}`).expect(200)).body.slug as string;
    const [{ slug: providerSlug }] = await dataSource.query<{ slug: string }[]>('SELECT slug FROM providers WHERE id = $1', [
      acme.providerId,
    ]);
    const catalog = async (pricing: 'free' | 'paid') =>
      (await request(app.getHttpServer()).get('/v1/apis').query({ pricing, provider: providerSlug }).expect(200)).body as {
        items: { slug: string; hasPaidPlan: boolean; hasFreePlan: boolean }[];
      };
    const found = (await catalog('paid')).items.find((item) => item.slug === slug);
    expect((await catalog('free')).items.map((item) => item.slug)).toEqual([slug]);
    expect(found).toMatchObject({ hasPaidPlan: true, hasFreePlan: true });
  });
});
