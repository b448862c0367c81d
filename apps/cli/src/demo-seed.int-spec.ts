import { PublicCatalogService } from '@app/catalog';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { createGatewayApp } from '../../gateway/src/bootstrap';
import { createDemoUpstream, type DemoUpstream } from '../../demo-upstream/src/demo-upstream';
import { describeDemoSeed, runDemoCommand } from './demo.command';
import {
  DEMO_CONSUMER_EMAIL,
  DEMO_LISTINGS,
  DEMO_PROVIDER_EMAIL,
  DemoSeedModule,
  DemoSeedService,
} from './demo-seed.service';

function seedEnv(port: number, allowPrivate: boolean): Record<string, unknown> {
  const env: Record<string, unknown> = {
    ...process.env,
    GATEWAY_ALLOW_PRIVATE_UPSTREAMS: String(allowPrivate),
    DEMO_UPSTREAM_PORT: String(port),
    PAYMENTS: 'local',
    CATALOG_REQUIRE_APPROVAL: 'false',
  };
  delete env.DEMO_PROVIDER_PASSWORD;
  delete env.DEMO_CONSUMER_PASSWORD;
  return env;
}

describe('portico seed-demo (DemoSeedService on the test database)', () => {
  jest.setTimeout(120_000);
  let upstream: DemoUpstream;
  let port: number;
  let context: INestApplicationContext;
  const slugs = DEMO_LISTINGS.map((demo) => demo.listing.slug);
  let consumerTestKey = '';

  beforeAll(async () => {
    upstream = createDemoUpstream();
    port = await upstream.listen(0);
    context = await NestFactory.createApplicationContext(DemoSeedModule.forRoot(seedEnv(port, true)), {
      logger: false,
      abortOnError: false,
    });
  });
  afterAll(async () => {
    await context?.close();
    await upstream?.close();
  });

  it('skips with a clear message when GATEWAY_ALLOW_PRIVATE_UPSTREAMS is false, creating nothing', async () => {
    const out: string[] = [];
    const code = await runDemoCommand(
      { write: (t: string) => out.push(t) },
      { write: () => true },
      seedEnv(port, false),
    );
    expect(code).toBe(0);
    expect(out.join('')).toMatch(
      /^seed-demo: skipped: .*GATEWAY_ALLOW_PRIVATE_UPSTREAMS is false.*Set GATEWAY_ALLOW_PRIVATE_UPSTREAMS=true/,
    );
    const rows = await context
      .get(DataSource)
      .query('SELECT 1 FROM accounts WHERE email = $1', [DEMO_PROVIDER_EMAIL]);
    expect(rows).toHaveLength(0);
  });

  it('seeds the demo marketplace once: a second run changes nothing', async () => {
    const seeder = context.get(DemoSeedService);
    const first = await seeder.seed();
    if (first.skipped) throw new Error(first.reason);
    expect(first.provider.created).toBe(true);
    expect(first.provider.generatedPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(first.consumer.created).toBe(true);
    expect(first.consumer.opened?.key.secret).toMatch(/^mp_test_/);
    consumerTestKey = first.consumer.opened!.key.secret;
    expect(first.listings.map((l) => [l.slug, l.status, l.upstreamUrl])).toEqual(
      DEMO_LISTINGS.map((d) => [d.listing.slug, 'published', `http://127.0.0.1:${port}/${d.api.base}`]),
    );
    for (const listing of first.listings) {
      expect(listing.changes).toEqual([
        'created',
        'OpenAPI 1.0.0 published',
        'plan Pro added',
        'plan Ultra added',
        'published',
      ]);
    }
    const firstText = describeDemoSeed(first);
    expect(firstText).toContain(first.provider.generatedPassword!);
    expect(firstText).toContain(first.consumer.opened!.key.secret);

    const db = context.get(DataSource);
    const snapshot = (): Promise<unknown[]> =>
      db.query(
        `SELECT l.slug, l.status, l.updated_at, l.upstream_live_url,
                (SELECT count(*)::int FROM api_versions v WHERE v.api_id = l.id) AS versions,
                (SELECT array_agg(p.name || ':' || p.status || ':' || p.version ORDER BY p.name) FROM plans p WHERE p.api_id = l.id) AS plans
           FROM api_listings l WHERE l.slug = ANY($1) ORDER BY l.slug`,
        [slugs],
      );
    const before = await snapshot();
    const counts = await db.query(
      `SELECT (SELECT count(*)::int FROM accounts WHERE email = ANY($1)) AS accounts,
              (SELECT count(*)::int FROM providers p JOIN accounts a ON a.id = p.owner_account_id WHERE a.email = $2) AS providers,
              (SELECT count(*)::int FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE a.email = $3) AS consumer_keys`,
      [[DEMO_PROVIDER_EMAIL, DEMO_CONSUMER_EMAIL], DEMO_PROVIDER_EMAIL, DEMO_CONSUMER_EMAIL],
    );

    const second = await seeder.seed();
    if (second.skipped) throw new Error(second.reason);
    expect(second.provider).toMatchObject({ created: false, generatedPassword: null, opened: null });
    expect(second.consumer).toMatchObject({ created: false, generatedPassword: null, opened: null });
    expect(second.listings.map((l) => l.changes)).toEqual([[], [], []]);
    const secondText = describeDemoSeed(second);
    expect(secondText).not.toContain(first.provider.generatedPassword!);
    expect(secondText).not.toContain(first.consumer.opened!.key.secret);
    expect(secondText).toContain('unchanged');

    expect(await snapshot()).toEqual(before);
    expect(before).toHaveLength(3);
    for (const row of before as { versions: number; plans: string[] }[]) {
      expect(row.versions).toBe(1);
      expect(row.plans).toEqual(['Basic:active:1', 'Pro:active:1', 'Ultra:active:1']);
    }
    expect(
      await db.query(
        `SELECT (SELECT count(*)::int FROM accounts WHERE email = ANY($1)) AS accounts,
                (SELECT count(*)::int FROM providers p JOIN accounts a ON a.id = p.owner_account_id WHERE a.email = $2) AS providers,
                (SELECT count(*)::int FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE a.email = $3) AS consumer_keys`,
        [[DEMO_PROVIDER_EMAIL, DEMO_CONSUMER_EMAIL], DEMO_PROVIDER_EMAIL, DEMO_CONSUMER_EMAIL],
      ),
    ).toEqual(counts);
    expect(counts).toEqual([{ accounts: 2, providers: 1, consumer_keys: 1 }]);
  });

  it('shows the listings in the public catalog with their endpoints and three plans', async () => {
    const catalog = context.get(PublicCatalogService);
    const page = await catalog.list({ page: 1, perPage: 100, provider: 'portico-demo', sort: 'newest' });
    expect(page.items.map((item) => item.slug).sort()).toEqual([...slugs].sort());
    for (const demo of DEMO_LISTINGS) {
      const detail = await catalog.getBySlug(demo.listing.slug, null);
      expect(detail.provider.slug).toBe('portico-demo');
      expect(detail.endpoints).toHaveLength(2);
      expect(detail.plans.map((plan) => plan.name).sort()).toEqual(['Basic', 'Pro', 'Ultra']);
    }
  });

  it('the seeded upstream URLs answer: the demo upstream serves what the listings point at', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/weather/current?city=Lisbon`);
    expect(response.status).toBe(200);
  });

  it('gives the demo consumer a first call through the gateway with the printed test key', async () => {
    const gateway = await createGatewayApp(seedEnv(port, true));
    try {
      const base = `http://127.0.0.1:${await gateway.server.listen(0, '127.0.0.1')}`;
      const res = await fetch(`${base}/weather-now/current?city=Lisbon`, {
        headers: { 'X-Portico-Key': consumerTestKey },
      });
      expect(res.status).toBe(200);
      // the demo listings have no sandbox: a test key is answered from the OpenAPI examples, unbilled
      expect(res.headers.get('x-portico-mock')).toBe('true');
      expect(res.headers.get('ratelimit-policy')).toContain('"minute"');
      expect(await res.json()).toEqual(expect.objectContaining({ city: expect.any(String) }));
      const subscribed = await context.get(DataSource).query(
        `SELECT s.status, p.name FROM subscriptions s JOIN plans p ON p.id = s.plan_id
             JOIN accounts a ON a.id = s.consumer_account_id WHERE a.email = $1`,
        [DEMO_CONSUMER_EMAIL],
      );
      expect(subscribed).toEqual([{ status: 'active', name: 'Basic' }]);
    } finally {
      await gateway.close();
    }
  });
});
