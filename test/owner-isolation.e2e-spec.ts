import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { KeyResolver } from '@app/identity';
import request from 'supertest';
import { signUp, startApi, type SignedUp } from './support/api-client';

type Method = 'get' | 'post' | 'patch' | 'delete';

interface IdRoute {
  method: Method;
  /** OpenAPI path template; `{appId}`/`{keyId}` are filled with the id under test. */
  path: string;
  body?: Record<string, unknown>;
}

/** Every route of the api that takes an application or key id. A new one must be added here (checked below). */
const ID_ROUTES: IdRoute[] = [
  { method: 'get', path: '/v1/apps/{appId}' },
  { method: 'patch', path: '/v1/apps/{appId}', body: { name: 'Taken over' } },
  { method: 'delete', path: '/v1/apps/{appId}' },
  { method: 'get', path: '/v1/apps/{appId}/keys' },
  { method: 'post', path: '/v1/apps/{appId}/keys', body: { label: 'Planted key' } },
  { method: 'get', path: '/v1/keys/{keyId}' },
  { method: 'patch', path: '/v1/keys/{keyId}', body: { label: 'Taken over', scopes: ['api:elsewhere'] } },
  { method: 'post', path: '/v1/keys/{keyId}/rotate', body: { gracePeriodSeconds: 0 } },
  { method: 'post', path: '/v1/keys/{keyId}/revoke', body: {} },
];

function call(user: SignedUp, route: IdRoute, id: string): Promise<request.Response> {
  const url = route.path.replace(/\{(appId|keyId)\}/, id);
  const req = user.agent[route.method](url).set('X-CSRF-Token', user.csrfToken);
  return route.body ? req.send(route.body) : req;
}

/** The answer with the id and request id blanked, so two 404s can be compared exactly. */
function comparable(res: request.Response, id: string): unknown {
  const body = JSON.parse(JSON.stringify(res.body).split(id).join('<id>')) as Record<string, unknown>;
  delete body.requestId;
  return { status: res.status, contentType: res.headers['content-type'], body };
}

describe('owner isolation of applications and keys', () => {
  let app: INestApplication;
  let alice: SignedUp;
  let bob: SignedUp;

  beforeAll(async () => {
    app = await startApi();
    await app.get(KeyResolver).whenListening();
    [alice, bob] = [await signUp(app, 'alice'), await signUp(app, 'bob')];
  });

  afterAll(async () => {
    await app.close();
  });

  it('covers every route of the api that takes an application or key id', async () => {
    const doc = await request(app.getHttpServer()).get('/openapi.json').expect(200);
    const paths = doc.body.paths as Record<string, Record<string, unknown>>;
    const documented = Object.entries(paths)
      .filter(([path]) => /\{(appId|keyId)\}/.test(path))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`))
      .sort();
    expect(documented).toEqual(ID_ROUTES.map((route) => `${route.method} ${route.path}`).sort());
  });

  it("answers another account's application and key ids with 404 not_found exactly like unknown ids, and changes nothing", async () => {
    const bobAppId = bob.body.application.id;
    const bobKeyId = bob.body.key.id;
    const snapshot = async () => ({
      apps: (await bob.agent.get('/v1/apps').expect(200)).body as unknown,
      app: (await bob.agent.get(`/v1/apps/${bobAppId}`).expect(200)).body as unknown,
      keys: (await bob.agent.get(`/v1/apps/${bobAppId}/keys`).expect(200)).body as unknown,
      key: (await bob.agent.get(`/v1/keys/${bobKeyId}`).expect(200)).body as unknown,
    });
    const before = await snapshot();

    for (const route of ID_ROUTES) {
      const bobsId = route.path.includes('{appId}') ? bobAppId : bobKeyId;
      const unknownId = randomUUID();
      const foreign = await call(alice, route, bobsId);
      const unknown = await call(alice, route, unknownId);
      const label = `${route.method.toUpperCase()} ${route.path}`;
      expect({ label, status: foreign.status, code: foreign.body.code }).toEqual({
        label,
        status: 404,
        code: 'not_found',
      });
      expect(comparable(foreign, bobsId)).toEqual(comparable(unknown, unknownId));
    }

    expect(await snapshot()).toEqual(before);
    await expect(app.get(KeyResolver).resolve(bob.body.key.secret)).resolves.toMatchObject({
      ok: true,
      key: { keyId: bobKeyId },
    });
    // alice's own application did not receive a key either
    const aliceKeys = await alice.agent.get(`/v1/apps/${alice.body.application.id}/keys`).expect(200);
    expect(aliceKeys.body).toHaveLength(1);
  });

  it('answers a malformed id with 400 validation_failed naming the parameter, on every id route', async () => {
    for (const route of ID_ROUTES) {
      const res = await call(alice, route, 'not-a-uuid');
      const param = route.path.includes('{appId}') ? 'appId' : 'keyId';
      expect({ route: route.path, status: res.status, code: res.body.code, errors: res.body.errors }).toEqual(
        {
          route: route.path,
          status: 400,
          code: 'validation_failed',
          errors: [{ field: param, message: 'must be a UUID' }],
        },
      );
    }
  });
});
