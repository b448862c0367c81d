import { randomBytes } from 'node:crypto';
import { GatewayCatalogService, ListingsService } from '@app/catalog';
import { AppError, HostResolver } from '@app/common';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApiApp } from '../apps/api/src/bootstrap';
import { createGatewayApp } from '../apps/gateway/src/bootstrap';
import { createWorkerApp } from '../apps/worker/src/bootstrap';
import { signUp, type SignedUp } from './support/api-client';
import { startIsolatedApi, type IsolatedApi } from './support/isolated-api';

/**
 * Listings, upstreams and the public catalog (issue 3), driven over HTTP against the real
 * PostgreSQL and Redis. DNS is the one thing replaced: the api's HostResolver answers from a fixed
 * table, so nothing leaves loopback. Every catalog read filters by this suite's own providers,
 * since other suites of the run share the database.
 */

const DNS: Record<string, string[]> = {
  'api.weather.test': ['93.184.215.14'],
  'sandbox.weather.test': ['2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'loopback.test': ['127.0.0.1'],
  'rebind.test': ['93.184.215.14', '::ffff:10.0.0.5'],
  'internal.test': ['10.0.0.5'],
};

function useTestDns(app: INestApplication): void {
  jest.spyOn(app.get(HostResolver), 'lookup').mockImplementation(async (hostname: string) => {
    const answer = DNS[hostname];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answer;
  });
}

let counter = 0;
const unique = (tag: string): string => `${tag}-${randomBytes(3).toString('hex')}-${(counter += 1)}`;

const CREDENTIAL_VALUE = 'sk_live_upstream_0123456789abcdef';

function listingBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Weather Now',
    slug: unique('weather'),
    summary: 'Current conditions and forecasts for any city.',
    description: '# Weather Now\n\nForecasts.',
    category: 'weather',
    tags: ['Forecast', 'climate', 'forecast'],
    upstreamLiveUrl: 'https://api.weather.test/v1/',
    upstreamSandboxUrl: 'https://sandbox.weather.test',
    upstreamTimeoutMs: 5000,
    credential: { location: 'header', name: 'X-Api-Key', value: CREDENTIAL_VALUE },
    ...overrides,
  };
}

interface Provider {
  user: SignedUp;
  id: string;
  slug: string;
}

async function becomeProvider(app: INestApplication, tag: string): Promise<Provider> {
  const user = await signUp(app, tag);
  const slug = unique(`prov-${tag}`);
  const res = await user.agent
    .post('/v1/provider')
    .set('X-CSRF-Token', user.csrfToken)
    .send({ displayName: `Provider ${tag}`, slug, supportEmail: `support@${slug}.example.com` })
    .expect(201);
  return { user, id: res.body.id, slug };
}

const post = (user: SignedUp, path: string, body: object = {}) =>
  user.agent.post(path).set('X-CSRF-Token', user.csrfToken).send(body);
const patch = (user: SignedUp, path: string, body: object) =>
  user.agent.patch(path).set('X-CSRF-Token', user.csrfToken).send(body);
const del = (user: SignedUp, path: string) => user.agent.delete(path).set('X-CSRF-Token', user.csrfToken);

async function createListing(
  user: SignedUp,
  overrides: Record<string, unknown> = {},
): Promise<Record<string, unknown> & { id: string; slug: string }> {
  const res = await post(user, '/v1/provider/apis', listingBody(overrides));
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function publish(user: SignedUp, id: string): Promise<Record<string, unknown>> {
  return (await post(user, `/v1/provider/apis/${id}/publish`).expect(200)).body;
}

/** The answer with the request id (and the given ids) blanked, so two 404s can be compared exactly. */
function comparable(res: request.Response, ...ids: string[]): unknown {
  let text = JSON.stringify(res.body);
  for (const id of ids) text = text.split(id).join('<id>');
  const body = JSON.parse(text) as Record<string, unknown>;
  delete body.requestId;
  return { status: res.status, contentType: res.headers['content-type'], body };
}

describe('API listings (provider side)', () => {
  let api: IsolatedApi;
  let app: INestApplication;
  let owner: Provider;

  beforeAll(async () => {
    api = await startIsolatedApi('listings');
    app = api.app;
    useTestDns(app);
    owner = await becomeProvider(app, 'owner');
  });

  afterAll(async () => {
    await api.close();
  });

  it('creates a draft listing with normalised fields, a proxy secret and a free plan, never returning the credential', async () => {
    const body = listingBody();
    const res = await post(owner.user, '/v1/provider/apis', body).expect(201);
    expect(res.body).toMatchObject({
      providerId: owner.id,
      slug: body.slug,
      name: 'Weather Now',
      category: 'weather',
      tags: ['forecast', 'climate'],
      visibility: 'public',
      status: 'draft',
      allowedActions: ['publish'],
      upstreamLiveUrl: 'https://api.weather.test/v1',
      upstreamSandboxUrl: 'https://sandbox.weather.test',
      upstreamTimeoutMs: 5000,
      credential: { location: 'header', name: 'X-Api-Key', last4: 'cdef' },
      publishedAt: null,
    });
    expect(JSON.stringify(res.body)).not.toContain(CREDENTIAL_VALUE);

    const got = await owner.user.agent.get(`/v1/provider/apis/${res.body.id}`).expect(200);
    expect(got.body).toEqual(res.body);
    const list = await owner.user.agent.get('/v1/provider/apis').expect(200);
    expect(list.body.map((l: { id: string }) => l.id)).toContain(res.body.id);
    expect(JSON.stringify(list.body)).not.toContain(CREDENTIAL_VALUE);

    const db = app.get(DataSource);
    const [row] = await db.query<{ credential_ciphertext: string }[]>(
      'SELECT credential_ciphertext FROM api_listings WHERE id = $1',
      [res.body.id],
    );
    expect(row.credential_ciphertext).toMatch(/^v1\./);
    expect(row.credential_ciphertext).not.toContain(CREDENTIAL_VALUE);
    const secrets = await db.query<{ secret_ciphertext: string; expires_at: Date | null }[]>(
      'SELECT secret_ciphertext, expires_at FROM api_proxy_secrets WHERE api_id = $1',
      [res.body.id],
    );
    expect(secrets).toHaveLength(1);
    expect(secrets[0].expires_at).toBeNull();
    const plans = await db.query<{ price_amount_minor: string }[]>(
      'SELECT price_amount_minor FROM plans WHERE api_id = $1',
      [res.body.id],
    );
    expect(plans).toEqual([{ price_amount_minor: '0' }]);
  });

  it('refuses a taken slug (409), a reserved slug and an unknown category (400 naming the field and the choices)', async () => {
    const first = await createListing(owner.user);
    const taken = await post(owner.user, '/v1/provider/apis', listingBody({ slug: first.slug })).expect(409);
    expect(taken.body).toMatchObject({ code: 'conflict', field: 'slug' });
    for (const slug of ['health', 'docs', 'api', 'admin', 'metrics', 'static']) {
      const reserved = await post(owner.user, '/v1/provider/apis', listingBody({ slug })).expect(400);
      expect(reserved.body.detail).toContain(`"${slug}" is reserved`);
    }
    await post(owner.user, '/v1/provider/apis', listingBody({ slug: 'Not_A_Slug' })).expect(400);
    const category = await post(
      owner.user,
      '/v1/provider/apis',
      listingBody({ category: 'astrology' }),
    ).expect(400);
    expect(category.body.errors).toEqual([
      { field: 'category', message: expect.stringContaining('weather') },
    ]);
    expect(category.body.detail).toContain('category: must be one of');
    const tags = await post(owner.user, '/v1/provider/apis', listingBody({ tags: ['ok', 'not ok'] })).expect(
      400,
    );
    expect(tags.body.errors[0].field).toBe('tags');
    await post(owner.user, '/v1/provider/apis', listingBody({ logoUrl: 'javascript:alert(1)' })).expect(400);
    await post(owner.user, '/v1/provider/apis', listingBody({ upstreamTimeoutMs: 500 })).expect(400);
  });

  it('rejects every column that is not in the DTO (mass assignment) and changes nothing', async () => {
    const listing = await createListing(owner.user);
    const planted = {
      providerId: '00000000-0000-4000-8000-000000000000',
      status: 'published',
      publishedAt: '2020-01-01T00:00:00Z',
      credentialCiphertext: 'v1.x.y.z',
      currentVersionId: '00000000-0000-4000-8000-000000000000',
      id: '00000000-0000-4000-8000-000000000000',
    };
    for (const [key, value] of Object.entries(planted)) {
      const create = await post(owner.user, '/v1/provider/apis', listingBody({ [key]: value })).expect(400);
      expect(create.body.code).toBe('validation_failed');
      await patch(owner.user, `/v1/provider/apis/${listing.id}`, { [key]: value }).expect(400);
    }
    const after = await owner.user.agent.get(`/v1/provider/apis/${listing.id}`).expect(200);
    expect(after.body).toEqual(listing);
  });

  describe('upstream SSRF policy', () => {
    const refused: [string, string][] = [
      ['http://127.0.0.1:8080', 'points at 127.0.0.1, a loopback address'],
      ['http://2130706433', 'points at 127.0.0.1, a loopback address'],
      ['http://0x7f.1', 'points at 127.0.0.1, a loopback address'],
      ['http://0177.0.0.1', 'points at 127.0.0.1, a loopback address'],
      ['http://127.1', 'points at 127.0.0.1, a loopback address'],
      ['http://[::1]', 'a loopback address'],
      ['http://[::ffff:127.0.0.1]', '(IPv4-mapped 127.0.0.1), a loopback address'],
      ['http://[::ffff:7f00:1]', '(IPv4-mapped 127.0.0.1), a loopback address'],
      ['http://[64:ff9b::10.0.0.5]', '(NAT64 of 10.0.0.5), a private address'],
      ['http://10.0.0.5', 'a private address'],
      ['http://192.168.0.10', 'a private address'],
      ['http://100.64.0.1', 'carrier-grade NAT'],
      ['http://169.254.169.254/latest/meta-data', 'a cloud metadata service address'],
      ['http://metadata.google.internal', 'a cloud metadata service address'],
      ['http://localhost:3000', 'is localhost, a loopback address'],
      ['https://loopback.test', 'resolves to 127.0.0.1, a loopback address'],
      ['https://rebind.test', 'resolves to ::ffff:a00:5 (IPv4-mapped 10.0.0.5), a private address'],
      [
        'https://internal.test',
        'resolves to 10.0.0.5, a private address; the gateway refuses private upstreams unless the operator sets GATEWAY_ALLOW_PRIVATE_UPSTREAMS=true',
      ],
      ['https://nowhere.test', 'does not resolve (ENOTFOUND)'],
      ['ftp://api.weather.test', 'must use http or https'],
      ['https://user:pw@api.weather.test', 'must not contain a user name or password'],
      ['https://api.weather.test/#x', 'must not contain a fragment'],
      ['https://api.weather.test/\r\nX-Evil: 1', 'line breaks'],
    ];

    it.each(refused)('refuses upstreamLiveUrl %j, naming the field and the reason', async (url, reason) => {
      const slug = unique('ssrf');
      const res = await post(
        owner.user,
        '/v1/provider/apis',
        listingBody({ slug, upstreamLiveUrl: url }),
      ).expect(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.detail).toContain('upstreamLiveUrl: ');
      expect(res.body.detail).toContain(reason);
      expect(res.body.errors).toEqual([
        { field: 'upstreamLiveUrl', message: expect.stringContaining(reason) },
      ]);
      const [row] = await app
        .get(DataSource)
        .query<{ n: string }[]>('SELECT count(*) AS n FROM api_listings WHERE slug = $1', [slug]);
      expect(row.n).toBe('0');
    });

    it('checks the sandbox URL and URLs changed later the same way', async () => {
      const sandbox = await post(
        owner.user,
        '/v1/provider/apis',
        listingBody({ upstreamSandboxUrl: 'http://0x7f.1' }),
      ).expect(400);
      expect(sandbox.body.errors[0].field).toBe('upstreamSandboxUrl');
      const listing = await createListing(owner.user);
      const changed = await patch(owner.user, `/v1/provider/apis/${listing.id}`, {
        upstreamLiveUrl: 'https://internal.test',
      }).expect(400);
      expect(changed.body.detail).toContain('upstreamLiveUrl: resolves to 10.0.0.5, a private address');
      const ok = await patch(owner.user, `/v1/provider/apis/${listing.id}`, {
        upstreamLiveUrl: 'https://[2606:4700:4700::1111]/api',
        upstreamSandboxUrl: null,
      }).expect(200);
      expect(ok.body).toMatchObject({
        upstreamLiveUrl: 'https://[2606:4700:4700::1111]/api',
        upstreamSandboxUrl: null,
      });
    });

    it('allows private and loopback upstreams when the operator sets GATEWAY_ALLOW_PRIVATE_UPSTREAMS=true, never metadata ones', async () => {
      const lenient = await startIsolatedApi('listings-private', { GATEWAY_ALLOW_PRIVATE_UPSTREAMS: 'true' });
      try {
        useTestDns(lenient.app);
        const provider = await becomeProvider(lenient.app, 'onprem');
        for (const url of [
          'http://127.0.0.1:8080',
          'http://[::ffff:7f00:1]',
          'http://10.0.0.5',
          'https://loopback.test',
          'http://localhost:3000',
        ]) {
          const res = await post(
            provider.user,
            '/v1/provider/apis',
            listingBody({ upstreamLiveUrl: url }),
          ).expect(201);
          expect(res.body.upstreamLiveUrl).toBe(url.replace(/\/$/, ''));
        }
        for (const url of ['http://169.254.169.254', 'http://[fd00:ec2::254]', 'http://0.0.0.0']) {
          await post(provider.user, '/v1/provider/apis', listingBody({ upstreamLiveUrl: url })).expect(400);
        }
      } finally {
        await lenient.close();
      }
    });
  });

  describe('upstream credential', () => {
    it.each([
      [
        { location: 'header', name: 'X-Api-Key', value: 'abc\r\nX-Injected: 1' },
        'credential.value',
        'CR or LF',
      ],
      [{ location: 'header', name: 'X-Api-Key', value: 'abc\ndef' }, 'credential.value', 'CR or LF'],
      [{ location: 'header', name: 'X-Api\r\nKey', value: 'abc' }, 'credential.name', 'CR or LF'],
      [{ location: 'query', name: 'key', value: 'abc\r\n' }, 'credential.value', 'CR or LF'],
      [{ location: 'header', name: 'X-Api-Key', value: 'tab\there' }, 'credential.value', 'visible ASCII'],
      [{ location: 'header', name: 'X-Api-Key', value: ' padded ' }, 'credential.value', 'visible ASCII'],
      [{ location: 'header', name: 'Bad Header', value: 'abc' }, 'credential.name', 'valid HTTP header name'],
      [{ location: 'header', name: 'X-Portico-Key', value: 'abc' }, 'credential.name', 'manages itself'],
      [{ location: 'header', name: 'x-portico-user', value: 'abc' }, 'credential.name', 'manages itself'],
      [{ location: 'header', name: 'Host', value: 'abc' }, 'credential.name', 'manages itself'],
      [{ location: 'header', name: 'Content-Length', value: '1' }, 'credential.name', 'manages itself'],
      [
        { location: 'header', name: 'Transfer-Encoding', value: 'chunked' },
        'credential.name',
        'manages itself',
      ],
      [{ location: 'header', name: 'Connection', value: 'close' }, 'credential.name', 'manages itself'],
      [
        { location: 'header', name: 'X-Forwarded-For', value: '1.2.3.4' },
        'credential.name',
        'manages itself',
      ],
      [{ location: 'query', name: 'api key', value: 'abc' }, 'credential.name', 'query parameter name'],
    ])('refuses the credential %j naming %s', async (credential, field, reason) => {
      const res = await post(owner.user, '/v1/provider/apis', listingBody({ credential })).expect(400);
      expect(res.body.errors).toEqual([{ field, message: expect.stringContaining(reason) }]);
    });

    it('replaces and clears the credential; a query credential and a short one show no more than they should', async () => {
      const listing = await createListing(owner.user, { credential: null });
      expect(listing.credential).toBeNull();
      const query = await patch(owner.user, `/v1/provider/apis/${listing.id}`, {
        credential: { location: 'query', name: 'api_key', value: 'short' },
      }).expect(200);
      expect(query.body.credential).toEqual({ location: 'query', name: 'api_key', last4: null });
      const header = await patch(owner.user, `/v1/provider/apis/${listing.id}`, {
        credential: { location: 'header', name: 'Authorization', value: `Bearer ${CREDENTIAL_VALUE}` },
      }).expect(200);
      expect(header.body.credential).toEqual({ location: 'header', name: 'Authorization', last4: 'cdef' });
      expect(JSON.stringify(header.body)).not.toContain(CREDENTIAL_VALUE);
      const cleared = await patch(owner.user, `/v1/provider/apis/${listing.id}`, { credential: null }).expect(
        200,
      );
      expect(cleared.body.credential).toBeNull();
    });
  });

  describe('proxy secret', () => {
    it('shows the current secret, rotates with a grace period, and ends the old one at once with a grace of 0', async () => {
      const listing = await createListing(owner.user);
      await publish(owner.user, listing.id);
      const first = await owner.user.agent.get(`/v1/provider/apis/${listing.id}/proxy-secret`).expect(200);
      expect(first.body.current.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(first.body.previous).toBeNull();
      const gateway = app.get(GatewayCatalogService);
      // the gateway reloads this about twice a minute per API: two queries, the listing (SQL written
      // once, no relations) and its live secrets
      const queries = jest.spyOn(Client.prototype, 'query');
      await gateway.resolveForGateway(listing.slug);
      expect(queries).toHaveBeenCalledTimes(2);
      queries.mockRestore();
      await expect(gateway.resolveForGateway(listing.slug)).resolves.toMatchObject({
        apiId: listing.id,
        slug: listing.slug,
        providerId: owner.id,
        status: 'published',
        visibility: listing.visibility,
        sunsetAt: null,
        deprecationMessage: null,
        liveUrl: 'https://api.weather.test/v1',
        sandboxUrl: 'https://sandbox.weather.test',
        timeoutMs: 5000,
        credential: { location: 'header', name: 'X-Api-Key', value: CREDENTIAL_VALUE },
        proxySecret: first.body.current.secret,
        previousProxySecret: null,
      });

      const before = Date.now();
      const rotated = await post(owner.user, `/v1/provider/apis/${listing.id}/proxy-secret/rotate`, {
        gracePeriodSeconds: 3600,
      }).expect(200);
      expect(rotated.body.current.secret).not.toBe(first.body.current.secret);
      expect(rotated.body.previous.secret).toBe(first.body.current.secret);
      const expiresAt = Date.parse(rotated.body.previous.expiresAt);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 3600_000 - 5000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000 + 5000);
      await owner.user.agent.get(`/v1/provider/apis/${listing.id}/proxy-secret`).expect(200, rotated.body);
      const resolved = await gateway.resolveForGateway(listing.slug);
      expect(resolved?.proxySecret).toBe(rotated.body.current.secret);
      expect(resolved?.previousProxySecret?.secret).toBe(first.body.current.secret);
      expect(resolved?.cacheUntil?.getTime()).toBe(expiresAt);

      // a second rotation ends the first secret now: at most two are ever valid
      const again = await post(owner.user, `/v1/provider/apis/${listing.id}/proxy-secret/rotate`, {}).expect(
        200,
      );
      expect(again.body.previous.secret).toBe(rotated.body.current.secret);
      expect(Date.parse(again.body.previous.expiresAt) - Date.now()).toBeGreaterThan(23 * 3600_000);
      const immediate = await post(owner.user, `/v1/provider/apis/${listing.id}/proxy-secret/rotate`, {
        gracePeriodSeconds: 0,
      }).expect(200);
      expect(immediate.body.previous).toBeNull();
      const live = await gateway.resolveForGateway(listing.slug);
      expect(live?.proxySecret).toBe(immediate.body.current.secret);
      expect(live?.previousProxySecret).toBeNull();
      const rows = await app
        .get(DataSource)
        .query('SELECT id FROM api_proxy_secrets WHERE api_id = $1', [listing.id]);
      expect(rows).toHaveLength(1);
    });

    it('refuses a grace period out of range', async () => {
      const listing = await createListing(owner.user);
      await post(owner.user, `/v1/provider/apis/${listing.id}/proxy-secret/rotate`, {
        gracePeriodSeconds: -1,
      }).expect(400);
      await post(owner.user, `/v1/provider/apis/${listing.id}/proxy-secret/rotate`, {
        gracePeriodSeconds: 31 * 24 * 3600,
      }).expect(400);
      await post(owner.user, `/v1/provider/apis/${listing.id}/proxy-secret/rotate`, {
        gracePeriodSeconds: 'soon',
      }).expect(400);
    });
  });

  describe('lifecycle', () => {
    it('moves draft → published → deprecated → retired and answers 409 naming the allowed transitions otherwise', async () => {
      const listing = await createListing(owner.user);
      const gateway = app.get(GatewayCatalogService);
      await expect(gateway.resolveForGateway(listing.slug)).resolves.toBeNull();
      const early = await post(owner.user, `/v1/provider/apis/${listing.id}/deprecate`, {
        sunsetAt: new Date(Date.now() + 86_400_000).toISOString(),
        message: 'Bye',
      }).expect(409);
      expect(early.body).toMatchObject({ code: 'conflict', status: 409, allowedActions: ['publish'] });
      expect(early.body.detail).toContain('From draft the allowed transitions are: publish');

      const published = await publish(owner.user, listing.id);
      expect(published).toMatchObject({ status: 'published', allowedActions: ['deprecate'] });
      expect(Date.parse(published.publishedAt as string)).toBeGreaterThan(Date.now() - 60_000);
      await expect(gateway.resolveForGateway(listing.slug)).resolves.toMatchObject({ status: 'published' });
      const twice = await post(owner.user, `/v1/provider/apis/${listing.id}/publish`).expect(409);
      expect(twice.body.allowedActions).toEqual(['deprecate']);
      await post(owner.user, `/v1/provider/apis/${listing.id}/retire`).expect(409);
      const slugChange = await patch(owner.user, `/v1/provider/apis/${listing.id}`, {
        slug: unique('renamed'),
      }).expect(409);
      expect(slugChange.body.detail).toContain('permanent');
      const deleted = await del(owner.user, `/v1/provider/apis/${listing.id}`).expect(409);
      expect(deleted.body.detail).toContain('Deprecate it');

      await post(owner.user, `/v1/provider/apis/${listing.id}/deprecate`, {
        sunsetAt: new Date(Date.now() - 1000).toISOString(),
        message: 'Bye',
      }).expect(400);
      await post(owner.user, `/v1/provider/apis/${listing.id}/deprecate`, {
        sunsetAt: 'next tuesday',
        message: 'Bye',
      }).expect(400);
      const sunsetAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
      const deprecated = await post(owner.user, `/v1/provider/apis/${listing.id}/deprecate`, {
        sunsetAt,
        message: 'Moving to v2.',
      }).expect(200);
      expect(deprecated.body).toMatchObject({
        status: 'deprecated',
        sunsetAt,
        deprecationMessage: 'Moving to v2.',
        allowedActions: ['retire'],
      });
      await expect(gateway.resolveForGateway(listing.slug)).resolves.toMatchObject({
        status: 'deprecated',
        sunsetAt: new Date(sunsetAt),
        deprecationMessage: 'Moving to v2.',
      });

      const retired = await post(owner.user, `/v1/provider/apis/${listing.id}/retire`).expect(200);
      expect(retired.body).toMatchObject({ status: 'retired', allowedActions: [] });
      await expect(gateway.resolveForGateway(listing.slug)).resolves.toBeNull();
      const final = await post(owner.user, `/v1/provider/apis/${listing.id}/publish`).expect(409);
      expect(final.body.detail).toContain('final');
      await patch(owner.user, `/v1/provider/apis/${listing.id}`, { name: 'Zombie' }).expect(409);
    });

    it('runs the registered publish checks inside the publish transaction, and a refusal changes nothing', async () => {
      const listing = await createListing(owner.user);
      app.get(ListingsService).addPublishCheck(async (manager, locked) => {
        if (locked.id !== listing.id) return;
        const [row] = await manager.query<{ status: string }[]>(
          'SELECT status FROM api_listings WHERE id = $1',
          [locked.id],
        );
        throw new AppError('conflict', `Refused by a publish check while ${row.status}.`);
      });
      const refused = await post(owner.user, `/v1/provider/apis/${listing.id}/publish`).expect(409);
      expect(refused.body.detail).toBe('Refused by a publish check while draft.');
      const after = await owner.user.agent.get(`/v1/provider/apis/${listing.id}`).expect(200);
      expect(after.body).toMatchObject({ status: 'draft', publishedAt: null });
    });

    it('deletes a draft that never went live and lets its slug change before that', async () => {
      const listing = await createListing(owner.user);
      const newSlug = unique('renamed');
      const renamed = await patch(owner.user, `/v1/provider/apis/${listing.id}`, { slug: newSlug }).expect(
        200,
      );
      expect(renamed.body.slug).toBe(newSlug);
      await del(owner.user, `/v1/provider/apis/${listing.id}`).expect(204);
      await owner.user.agent.get(`/v1/provider/apis/${listing.id}`).expect(404);
      const secrets = await app
        .get(DataSource)
        .query('SELECT id FROM api_proxy_secrets WHERE api_id = $1', [listing.id]);
      expect(secrets).toEqual([]);
    });
  });

  describe('owner isolation', () => {
    it("answers 404 for another provider's listing on every :id route, exactly as for an unknown id", async () => {
      const other = await becomeProvider(app, 'other');
      const mine = await createListing(owner.user);
      await post(owner.user, `/v1/provider/apis/${mine.id}/invitations`, {
        email: 'friend@example.com',
      }).expect(201);
      const unknown = '00000000-0000-4000-8000-000000000000';
      const routes: [string, string, object?][] = [
        ['get', '/v1/provider/apis/{id}'],
        [
          'patch',
          '/v1/provider/apis/{id}',
          { name: 'Taken over', upstreamLiveUrl: 'https://api.weather.test' },
        ],
        ['delete', '/v1/provider/apis/{id}'],
        ['post', '/v1/provider/apis/{id}/publish', {}],
        [
          'post',
          '/v1/provider/apis/{id}/deprecate',
          { sunsetAt: new Date(Date.now() + 86_400_000).toISOString(), message: 'x' },
        ],
        ['post', '/v1/provider/apis/{id}/retire', {}],
        ['get', '/v1/provider/apis/{id}/proxy-secret'],
        ['post', '/v1/provider/apis/{id}/proxy-secret/rotate', { gracePeriodSeconds: 0 }],
        ['get', '/v1/provider/apis/{id}/invitations'],
        ['post', '/v1/provider/apis/{id}/invitations', { email: 'attacker@example.com' }],
        ['delete', '/v1/provider/apis/{id}/invitations/friend%40example.com'],
      ];
      for (const [method, path, body] of routes) {
        const call = (id: string) => {
          const req = other.user.agent[method as 'get'](path.replace('{id}', id)).set(
            'X-CSRF-Token',
            other.user.csrfToken,
          );
          return body ? req.send(body) : req;
        };
        const foreign = await call(mine.id);
        const missing = await call(unknown);
        expect({ route: `${method} ${path}`, ...(comparable(foreign, mine.id) as object) }).toEqual({
          route: `${method} ${path}`,
          ...(comparable(missing, unknown) as object),
        });
        expect(foreign.status).toBe(404);
      }
      // nothing changed for the owner
      const after = await owner.user.agent.get(`/v1/provider/apis/${mine.id}`).expect(200);
      expect(after.body).toEqual(mine);
      const invitations = await owner.user.agent.get(`/v1/provider/apis/${mine.id}/invitations`).expect(200);
      expect(invitations.body.map((i: { email: string }) => i.email)).toEqual(['friend@example.com']);
      const other404 = await other.user.agent.get('/v1/provider/apis').expect(200);
      expect(other404.body).toEqual([]);
    });

    it('tells an account that is not a provider how to become one', async () => {
      const consumer = await signUp(app, 'consumer');
      const res = await post(consumer, '/v1/provider/apis', listingBody()).expect(404);
      expect(res.body.detail).toContain('POST /v1/provider');
      await consumer.agent.get('/v1/provider/apis').expect(404);
      await request(app.getHttpServer()).get('/v1/provider/apis').expect(401);
    });
  });
});

describe('approval of public listings (CATALOG_REQUIRE_APPROVAL=true)', () => {
  let api: IsolatedApi;
  let owner: Provider;
  let admin: SignedUp;

  beforeAll(async () => {
    api = await startIsolatedApi('listings-approval', { CATALOG_REQUIRE_APPROVAL: 'true' });
    useTestDns(api.app);
    owner = await becomeProvider(api.app, 'reviewed');
    admin = await signUp(api.app, 'admin');
    await api.app
      .get(DataSource)
      .query(`UPDATE accounts SET roles = '{admin}' WHERE id = $1`, [admin.accountId]);
  });

  afterAll(async () => {
    await api.close();
  });

  it('holds a public listing in pending_approval until an admin approves it', async () => {
    const listing = await createListing(owner.user);
    const pending = await publish(owner.user, listing.id);
    expect(pending).toMatchObject({ status: 'pending_approval', publishedAt: null, allowedActions: [] });
    await request(api.app.getHttpServer()).get(`/v1/apis/${listing.slug}`).expect(404);
    await expect(api.app.get(GatewayCatalogService).resolveForGateway(listing.slug)).resolves.toBeNull();
    await owner.user.agent.get(`/v1/apis/${listing.slug}`).expect(200);

    const notAdmin = await post(owner.user, `/v1/admin/apis/${listing.id}/approve`).expect(403);
    expect(notAdmin.body.code).toBe('forbidden');
    await owner.user.agent.get('/v1/admin/apis').expect(403);
    await request(api.app.getHttpServer()).get('/v1/admin/apis').expect(401);

    const queue = await admin.agent.get('/v1/admin/apis').expect(200);
    expect(queue.body.find((l: { id: string }) => l.id === listing.id)).toMatchObject({
      status: 'pending_approval',
      provider: { id: owner.id, slug: owner.slug },
    });
    expect(JSON.stringify(queue.body)).not.toContain(CREDENTIAL_VALUE);

    const approved = await post(admin, `/v1/admin/apis/${listing.id}/approve`).expect(200);
    expect(approved.body).toMatchObject({ status: 'published', provider: { slug: owner.slug } });
    expect(approved.body.publishedAt).not.toBeNull();
    await request(api.app.getHttpServer()).get(`/v1/apis/${listing.slug}`).expect(200);
    const again = await post(admin, `/v1/admin/apis/${listing.id}/approve`).expect(409);
    expect(again.body.allowedActions).toEqual(['deprecate']);
    await post(admin, '/v1/admin/apis/00000000-0000-4000-8000-000000000000/approve').expect(404);
  });

  it('sends a rejected listing back to draft', async () => {
    const listing = await createListing(owner.user);
    await publish(owner.user, listing.id);
    const rejected = await post(admin, `/v1/admin/apis/${listing.id}/reject`).expect(200);
    expect(rejected.body).toMatchObject({ status: 'draft', publishedAt: null });
    await post(admin, `/v1/admin/apis/${listing.id}/reject`).expect(409);
  });

  it('publishes a private listing without review; making it public puts it under review while it keeps serving', async () => {
    const listing = await createListing(owner.user, { visibility: 'private' });
    expect(await publish(owner.user, listing.id)).toMatchObject({ status: 'published' });
    const gateway = api.app.get(GatewayCatalogService);
    const review = await patch(owner.user, `/v1/provider/apis/${listing.id}`, {
      visibility: 'public',
    }).expect(200);
    expect(review.body).toMatchObject({ status: 'pending_approval', visibility: 'public' });
    await expect(gateway.resolveForGateway(listing.slug)).resolves.toMatchObject({
      status: 'pending_approval',
    });
    await request(api.app.getHttpServer()).get(`/v1/apis/${listing.slug}`).expect(404);
    const rejected = await post(admin, `/v1/admin/apis/${listing.id}/reject`).expect(200);
    expect(rejected.body).toMatchObject({ status: 'published', visibility: 'private' });
  });
});

describe('public catalog', () => {
  let api: IsolatedApi;
  let app: INestApplication;
  let acme: Provider;
  let globex: Provider;
  const ids: Record<string, string> = {};
  const slugs: Record<string, string> = {};
  const tag = unique('t').replace(/-/g, '').slice(0, 20);

  beforeAll(async () => {
    api = await startIsolatedApi('catalog');
    app = api.app;
    useTestDns(app);
    acme = await becomeProvider(app, 'acme');
    globex = await becomeProvider(app, 'globex');
    const make = async (
      key: string,
      provider: Provider,
      overrides: Record<string, unknown>,
      state: 'draft' | 'published' | 'deprecated' | 'retired',
    ) => {
      const listing = await createListing(provider.user, overrides);
      ids[key] = listing.id;
      slugs[key] = listing.slug;
      if (state === 'draft') return;
      await publish(provider.user, listing.id);
      if (state === 'published') return;
      await post(provider.user, `/v1/provider/apis/${listing.id}/deprecate`, {
        sunsetAt: new Date(Date.now() + 86_400_000).toISOString(),
        message: 'Old.',
      }).expect(200);
      if (state === 'deprecated') return;
      await post(provider.user, `/v1/provider/apis/${listing.id}/retire`).expect(200);
    };
    // created in this order, so "newest" is the reverse
    await make(
      'alpha',
      acme,
      { name: 'Alpha Weather', category: 'weather', tags: [tag, 'forecast'] },
      'published',
    );
    await make('bravo', acme, { name: 'bravo Finance', category: 'finance', tags: [tag] }, 'published');
    await make('charlie', acme, { name: 'Charlie Old', category: 'weather', tags: ['legacy'] }, 'deprecated');
    await make('draft', acme, { name: 'Draft', category: 'weather' }, 'draft');
    await make('retired', acme, { name: 'Retired', category: 'weather' }, 'retired');
    await make('private', acme, { name: 'Private', category: 'weather', visibility: 'private' }, 'published');
    await make('delta', globex, { name: 'Delta Maps', category: 'location', tags: [tag] }, 'published');

    const db = app.get(DataSource);
    // bravo is paid only (its free plan archived, a paid one added); delta has both
    await db.query(`UPDATE plans SET status = 'archived' WHERE api_id = $1`, [ids.bravo]);
    for (const apiId of [ids.bravo, ids.delta]) {
      await db.query(
        `INSERT INTO plans (api_id, family_id, name, price_amount_minor, currency, quota_limit, quota_mode, overage_unit_price_minor, rate_limit, trial_days, approval_required)
         VALUES ($1, gen_random_uuid(), 'Pro', 2500, 'USD', 100000, 'soft', 0.05, '{"perSecond": 10}', 7, false)`,
        [apiId],
      );
    }
  });

  afterAll(async () => {
    await api.close();
  });

  const anonymous = () => request(app.getHttpServer());
  const names = (res: request.Response): string[] =>
    res.body.items.map((item: { name: string }) => item.name);

  it('lists published and deprecated public listings only, newest first, with provider and plan flags', async () => {
    const res = await anonymous().get('/v1/apis').query({ provider: acme.slug }).expect(200);
    expect(res.body).toMatchObject({ page: 1, perPage: 20, total: 3 });
    expect(names(res)).toEqual(['Charlie Old', 'bravo Finance', 'Alpha Weather']);
    const alpha = res.body.items.find((item: { slug: string }) => item.slug === slugs.alpha);
    expect(alpha).toEqual({
      id: ids.alpha,
      slug: slugs.alpha,
      name: 'Alpha Weather',
      summary: expect.any(String),
      category: { slug: 'weather', name: 'Weather' },
      tags: [tag, 'forecast'],
      logoUrl: null,
      provider: { slug: acme.slug, displayName: 'Provider acme' },
      status: 'published',
      publishedAt: expect.any(String),
      sunsetAt: null,
      hasFreePlan: true,
      hasPaidPlan: false,
    });
    expect(res.body.items.find((item: { slug: string }) => item.slug === slugs.charlie)).toMatchObject({
      status: 'deprecated',
      sunsetAt: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toContain('upstream');
  });

  it('filters by category, tag, provider and pricing, sorts by name, and paginates', async () => {
    const byTag = await anonymous()
      .get('/v1/apis')
      .query({ tag: tag.toUpperCase(), sort: 'name' })
      .expect(200);
    expect(names(byTag)).toEqual(['Alpha Weather', 'bravo Finance', 'Delta Maps']);
    const weather = await anonymous()
      .get('/v1/apis')
      .query({ provider: acme.slug, category: 'weather', sort: 'name' })
      .expect(200);
    expect(names(weather)).toEqual(['Alpha Weather', 'Charlie Old']);
    const free = await anonymous().get('/v1/apis').query({ tag, pricing: 'free', sort: 'name' }).expect(200);
    expect(names(free)).toEqual(['Alpha Weather', 'Delta Maps']);
    const paid = await anonymous().get('/v1/apis').query({ tag, pricing: 'paid', sort: 'name' }).expect(200);
    expect(names(paid)).toEqual(['bravo Finance', 'Delta Maps']);
    expect(paid.body.items[1]).toMatchObject({ hasFreePlan: true, hasPaidPlan: true });
    const globexOnly = await anonymous().get('/v1/apis').query({ provider: globex.slug }).expect(200);
    expect(names(globexOnly)).toEqual(['Delta Maps']);

    const page1 = await anonymous()
      .get('/v1/apis')
      .query({ tag, sort: 'name', perPage: 2, page: 1 })
      .expect(200);
    const page2 = await anonymous()
      .get('/v1/apis')
      .query({ tag, sort: 'name', perPage: 2, page: 2 })
      .expect(200);
    expect(page1.body).toMatchObject({ page: 1, perPage: 2, total: 3 });
    expect(names(page1)).toEqual(['Alpha Weather', 'bravo Finance']);
    expect(page2.body).toMatchObject({ page: 2, perPage: 2, total: 3 });
    expect(names(page2)).toEqual(['Delta Maps']);
    const beyond = await anonymous().get('/v1/apis').query({ tag, page: 5 }).expect(200);
    expect(beyond.body).toMatchObject({ items: [], total: 3 });
    expect(
      (await anonymous().get('/v1/apis').query({ category: 'no-such-category' }).expect(200)).body.total,
    ).toBe(0);

    for (const query of [
      { perPage: 101 },
      { perPage: 0 },
      { page: 0 },
      { page: 'x' },
      { pricing: 'cheap' },
      { sort: 'popular' },
      { unknown: '1' },
    ]) {
      const bad = await anonymous().get('/v1/apis').query(query).expect(400);
      expect(bad.body.code).toBe('validation_failed');
    }
  });

  it("shows one listing with its provider, current version's endpoints and public plans", async () => {
    const document = {
      openapi: '3.0.3',
      info: { title: 'Alpha', version: '1.0.0' },
      paths: {
        '/forecast/{city}': {
          get: {
            operationId: 'forecast',
            summary: 'Forecast for a city',
            parameters: [{ name: 'city', in: 'path', required: true, schema: { type: 'string' } }],
            responses: { '200': { description: 'ok' } },
          },
        },
        '/alerts': {
          post: { summary: 'Subscribe to alerts', responses: { '201': { description: 'created' } } },
        },
      },
    };
    const imported = await post(acme.user, `/v1/apis/${ids.alpha}/versions`, document).expect(201);
    await post(acme.user, `/v1/apis/${ids.alpha}/versions/${imported.body.id}/publish`).expect(200);

    const res = await anonymous().get(`/v1/apis/${slugs.alpha}`).expect(200);
    expect(res.body).toMatchObject({
      id: ids.alpha,
      name: 'Alpha Weather',
      description: '# Weather Now\n\nForecasts.',
      visibility: 'public',
      provider: { slug: acme.slug, displayName: 'Provider acme', websiteUrl: null },
    });
    expect(res.body.endpoints).toEqual(
      expect.arrayContaining([
        {
          method: 'GET',
          path: '/forecast/{city}',
          summary: 'Forecast for a city',
          operationId: 'forecast',
          tags: [],
          deprecated: false,
        },
        expect.objectContaining({ method: 'POST', path: '/alerts', summary: 'Subscribe to alerts' }),
      ]),
    );
    expect(res.body.plans).toHaveLength(1);
    expect(res.body.plans[0]).toMatchObject({ priceAmountMinor: '0', currency: 'USD', quotaMode: 'hard' });

    const delta = await anonymous().get(`/v1/apis/${slugs.delta}`).expect(200);
    expect(delta.body.endpoints).toEqual([]);
    expect(delta.body.plans.find((plan: { name: string }) => plan.name === 'Pro')).toEqual({
      id: expect.any(String),
      name: 'Pro',
      description: '',
      priceAmountMinor: '2500',
      currency: 'USD',
      quotaPeriod: 'month',
      quotaLimit: 100000,
      quotaMode: 'soft',
      overageUnitPriceMinor: '0.05',
      rateLimit: { perSecond: 10 },
      trialDays: 7,
      approvalRequired: false,
    });
    const bravo = await anonymous().get(`/v1/apis/${slugs.bravo}`).expect(200);
    expect(bravo.body.plans.map((plan: { name: string }) => plan.name)).toEqual(['Pro']);
    expect(JSON.stringify(res.body)).not.toContain('upstream');
    expect(JSON.stringify(res.body)).not.toContain(CREDENTIAL_VALUE);
  });

  it('answers 404 for drafts, retired listings and unknown slugs alike, except to the owner for previews', async () => {
    const unknown = await anonymous().get('/v1/apis/no-such-api-here').expect(404);
    for (const key of ['draft', 'retired', 'private']) {
      const res = await anonymous().get(`/v1/apis/${slugs[key]}`).expect(404);
      expect(comparable(res)).toEqual(comparable(unknown));
    }
    await acme.user.agent.get(`/v1/apis/${slugs.draft}`).expect(200);
    await globex.user.agent.get(`/v1/apis/${slugs.draft}`).expect(404);
    await anonymous()
      .get(`/v1/apis/${'x'.repeat(200)}`)
      .expect(404);
  });

  it('shows a private listing to its owner and invited accounts only; a stranger gets the same 404 as a missing slug', async () => {
    const invited = await signUp(app, 'invited');
    const stranger = await signUp(app, 'stranger');
    const path = `/v1/apis/${slugs.private}`;
    const unknown = await stranger.agent.get('/v1/apis/no-such-api-here').expect(404);
    expect(comparable(await stranger.agent.get(path).expect(404))).toEqual(comparable(unknown));
    await invited.agent.get(path).expect(404);

    const invitation = await post(acme.user, `/v1/provider/apis/${ids.private}/invitations`, {
      email: invited.email.toUpperCase(),
    }).expect(201);
    expect(invitation.body).toMatchObject({ email: invited.email.toLowerCase() });
    const duplicate = await post(acme.user, `/v1/provider/apis/${ids.private}/invitations`, {
      email: invited.email,
    }).expect(409);
    expect(duplicate.body.field).toBe('email');
    await post(acme.user, `/v1/provider/apis/${ids.private}/invitations`, { email: 'not-an-email' }).expect(
      400,
    );

    const seen = await invited.agent.get(path).expect(200);
    expect(seen.body).toMatchObject({ slug: slugs.private, visibility: 'private' });
    await acme.user.agent.get(path).expect(200);
    expect(comparable(await stranger.agent.get(path).expect(404))).toEqual(comparable(unknown));
    await anonymous().get(path).expect(404);
    // private listings never appear in the public list
    const list = await invited.agent.get('/v1/apis').query({ provider: acme.slug }).expect(200);
    expect(list.body.items.map((item: { slug: string }) => item.slug)).not.toContain(slugs.private);

    const listed = await acme.user.agent.get(`/v1/provider/apis/${ids.private}/invitations`).expect(200);
    expect(listed.body.map((i: { email: string }) => i.email)).toEqual([invited.email.toLowerCase()]);
    await del(
      acme.user,
      `/v1/provider/apis/${ids.private}/invitations/${encodeURIComponent(invited.email)}`,
    ).expect(204);
    await del(
      acme.user,
      `/v1/provider/apis/${ids.private}/invitations/${encodeURIComponent(invited.email)}`,
    ).expect(404);
    await invited.agent.get(path).expect(404);
  });

  it('lists the categories with their public API counts', async () => {
    const res = await anonymous().get('/v1/categories').expect(200);
    expect(res.body.length).toBeGreaterThanOrEqual(10);
    expect(res.body[0]).toEqual({
      slug: 'ai',
      name: 'Artificial Intelligence',
      description: expect.any(String),
      apiCount: expect.any(Number),
    });
    const location = res.body.find((c: { slug: string }) => c.slug === 'location');
    expect(location.apiCount).toBeGreaterThanOrEqual(1);
  });

  it('lists the currencies plans may be priced in, with their ISO 4217 minor-unit digits', async () => {
    const res = await anonymous().get('/v1/currencies').expect(200);
    const digits = new Map(
      (res.body as { code: string; minorUnits: number }[]).map((c) => [c.code, c.minorUnits]),
    );
    // browsers' Intl shows HUF, IDR and COP without decimals and IQD with none: the api's list is the truth
    expect(
      Object.fromEntries(['USD', 'JPY', 'KWD', 'HUF', 'IDR', 'IQD'].map((c) => [c, digits.get(c)])),
    ).toEqual({
      USD: 2,
      JPY: 0,
      KWD: 3,
      HUF: 2,
      IDR: 2,
      IQD: 3,
    });
    expect([...digits.keys()]).toEqual([...digits.keys()].sort());
  });
});

describe('ENCRYPTION_KEY configuration', () => {
  it.each([
    ['missing', undefined],
    ['16 bytes', randomBytes(16).toString('base64')],
    ['not base64', `${'!'.repeat(43)}=`],
  ])(
    'stops the api, gateway and worker from booting when it is %s, naming it and never echoing it',
    async (_label, value) => {
      const env = { ...process.env, ENCRYPTION_KEY: value };
      for (const create of [createApiApp, createGatewayApp, createWorkerApp] as ((
        raw: Record<string, unknown>,
      ) => Promise<unknown>)[]) {
        const error = (await create(env).catch((caught: unknown) => caught)) as Error;
        expect(error.message).toContain(
          'ENCRYPTION_KEY must be 32 random bytes in base64 (generate one with: openssl rand -base64 32)',
        );
        if (value) expect(error.message).not.toContain(value);
      }
    },
  );
});
