import { GatewayDirectory } from '@app/gateway';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { signUp, startApi } from './support/api-client';
import { CatalogFixtures, send } from './support/catalog-fixtures';
import { createGatewayApp, type GatewayApp } from '../apps/gateway/src/bootstrap';

/** The node-postgres pool under TypeORM's driver, as far as these tests read it. */
interface PgPoolShape {
  options: { idleTimeoutMillis: number };
  totalCount: number;
}

describe('gateway process', () => {
  let gateway: GatewayApp;
  let url: string;

  beforeAll(async () => {
    gateway = await createGatewayApp();
    const port = await gateway.server.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await gateway.context.close();
  });

  it('answers liveness and readiness with PostgreSQL and Redis checked', async () => {
    await request(url).get('/health').expect(200, { status: 'ok' });
    const ready = await request(url).get('/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', checks: { postgres: { status: 'up' }, redis: { status: 'up' } } });
  });

  it('marks its own errors and answers in the problem shape', async () => {
    const res = await request(url).get('/some-api/anything').expect(401);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['x-portico-generated']).toBe('true');
    expect(res.body).toMatchObject({ code: 'invalid_api_key', status: 401, requestId: res.headers['x-portico-request-id'] });
    // the gateway's own request id: a UUIDv7 carrying the time it received the call
    const id = String(res.headers['x-portico-request-id']);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Math.abs(parseInt(id.slice(0, 8) + id.slice(9, 13), 16) - Date.now())).toBeLessThan(60_000);
  });

  it('keeps its PostgreSQL connections through quiet spells (its loads come in bursts after them)', async () => {
    await request(url).get('/ready').expect(200); // a query: the pool holds a connection
    const pool = (gateway.context.get(DataSource).driver as unknown as { master: PgPoolShape }).master;
    expect(pool.options.idleTimeoutMillis).toBe(600_000);
    expect(pool.totalCount).toBeGreaterThan(0);
  });

  it('refuses TRACE', async () => {
    const res = await request(url).trace('/anything').expect(405);
    expect(res.body.code).toBe('method_not_allowed');
  });
});

describe('gateway key step', () => {
  let gateway: GatewayApp;
  let api: INestApplication;
  let url: string;

  beforeAll(async () => {
    gateway = await createGatewayApp();
    url = `http://127.0.0.1:${await gateway.server.listen(0, '127.0.0.1')}`;
    api = await startApi();
  });

  afterAll(async () => {
    await gateway.context.close();
    await api.close();
  });

  it('names each key rejection with its own code, before any API routing', async () => {
    const missing = await request(url).get('/any-api/x').expect(401);
    expect(missing.body.code).toBe('invalid_api_key');
    const malformed = await request(url).get('/any-api/x').set('X-Portico-Key', 'mp_test_nope').expect(401);
    expect(malformed.body.code).toBe('invalid_api_key');

    const user = await signUp(api, 'gw');
    const key = user.body.key.secret;
    const known = await request(url).get('/no-such-api/x').set('X-Portico-Key', key).expect(404);
    expect(known.body.code).toBe('api_not_found');

    await user.agent.post(`/v1/keys/${user.body.key.id}/revoke`).set('X-CSRF-Token', user.csrfToken).expect(200);
    const deadline = Date.now() + 1000;
    let code = '';
    while (Date.now() < deadline && code !== 'key_revoked') {
      code = (await request(url).get('/no-such-api/x').set('X-Portico-Key', key)).body.code;
    }
    expect(code).toBe('key_revoked');
  });

  it("loads a consumer's subscription with its plan in three queries (the plan read once)", async () => {
    const fixtures = new CatalogFixtures(api, api.get(DataSource));
    const provider = await fixtures.provider('gw-directory');
    const listing = await fixtures.listing(provider);
    const plan = await fixtures.plan(provider, listing.id, { name: 'Metered', quotaLimit: 5_000 });
    await send(api, provider.user, 'post', `/v1/provider/apis/${listing.id}/publish`, {}).expect(200);
    const user = await signUp(api, 'gw-directory-consumer');
    const sub = await send(api, user, 'post', '/v1/subscriptions', { planId: plan.id }).expect(201);

    // reloaded about twice a minute per consumer and API, and on every call of one quiet for a
    // minute: the subscription (settled with its plan), the plan, the spend cap; not the plan twice
    const directory = gateway.context.get(GatewayDirectory);
    const queries = jest.spyOn(Client.prototype, 'query');
    const loaded = await directory.subscription(user.accountId, listing.id);
    expect(queries).toHaveBeenCalledTimes(3);
    queries.mockRestore();
    expect(loaded).toMatchObject({
      subscriptionId: sub.body.id,
      planId: plan.id,
      planName: 'Metered',
      quotaLimit: 5_000,
      status: 'active',
      spendCapReached: null,
    });
  });
});
