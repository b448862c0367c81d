import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import type request from 'supertest';
import { DataSource } from 'typeorm';
import { buildOpenApiDocument } from '../apps/api/src/openapi';
import { signUp, startApi, type SignedUp } from './support/api-client';
import {
  CatalogFixtures,
  catalogOperations,
  send,
  SMALL_DOCUMENT,
  type CatalogProvider,
  type HttpMethod,
} from './support/catalog-fixtures';

/**
 * Authorization matrix of the catalog: every catalog route with a path parameter × {owner, other
 * provider, consumer (signed in, not a provider), admin (signed in, not a provider), anonymous}.
 *
 * - `owner` routes (the provider's own resources): the owner gets the documented 2xx; every other
 *   signed-in caller gets exactly what an unknown id gets (404, same problem document), and
 *   anonymous callers 401 — and none of them changes anything.
 * - `public` routes (published public listings): everyone, anonymous included, gets the 2xx.
 * - `owner-read` (a public read of something only its owner may see yet, e.g. a draft): the owner
 *   gets the 2xx, everyone else exactly what an unknown slug gets.
 * - `admin` routes: the admin gets the 2xx, other signed-in callers 403, anonymous 401.
 *
 * The routes come from the OpenAPI document (buildOpenApiDocument): a catalog route with a path
 * parameter and no row here fails the suite, so a new route cannot be skipped silently.
 */
type Role = 'owner' | 'otherProvider' | 'consumer' | 'admin' | 'anonymous';
type Access = 'owner' | 'public' | 'owner-read' | 'admin';

interface Ctx {
  owner: CatalogProvider;
  fixtures: CatalogFixtures;
}

interface Prepared {
  params: Record<string, string>;
  body?: unknown;
}

interface Row {
  /** `METHOD /path/{param}` as in the OpenAPI document. */
  route: string;
  access: Access;
  /** Fresh state for the call (state-changing routes get their own listing). */
  prepare: (ctx: Ctx) => Promise<Prepared>;
  /** Distinguishes several rows of one route. */
  variant?: string;
}

const future = (): string => new Date(Date.now() + 30 * 86_400_000).toISOString();

const ROWS: Row[] = [
  // ---- listings (owner) ----
  {
    route: 'GET /v1/provider/apis/{id}',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => ({ params: { id: (await fixtures.listing(owner)).id } }),
  },
  {
    route: 'PATCH /v1/provider/apis/{id}',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => ({
      params: { id: (await fixtures.listing(owner)).id },
      body: { summary: 'Changed by someone.' },
    }),
  },
  {
    route: 'DELETE /v1/provider/apis/{id}',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => ({ params: { id: (await fixtures.listing(owner)).id } }),
  },
  {
    route: 'POST /v1/provider/apis/{id}/publish',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => ({ params: { id: (await fixtures.listing(owner)).id } }),
  },
  {
    route: 'POST /v1/provider/apis/{id}/deprecate',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => ({
      params: { id: (await fixtures.listing(owner, { state: 'published' })).id },
      body: { sunsetAt: future(), message: 'Moving to v2.' },
    }),
  },
  {
    route: 'POST /v1/provider/apis/{id}/retire',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => ({
      params: { id: (await fixtures.listing(owner, { state: 'deprecated' })).id },
    }),
  },
  {
    route: 'GET /v1/provider/apis/{id}/proxy-secret',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => ({ params: { id: (await fixtures.listing(owner)).id } }),
  },
  {
    route: 'POST /v1/provider/apis/{id}/proxy-secret/rotate',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => ({
      params: { id: (await fixtures.listing(owner)).id },
      body: { gracePeriodSeconds: 60 },
    }),
  },
  {
    route: 'GET /v1/provider/apis/{id}/invitations',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => ({
      params: { id: (await fixtures.listing(owner, { visibility: 'private' })).id },
    }),
  },
  {
    route: 'POST /v1/provider/apis/{id}/invitations',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => ({
      params: { id: (await fixtures.listing(owner, { visibility: 'private' })).id },
      body: { email: `invitee-${randomUUID().slice(0, 8)}@example.com` },
    }),
  },
  {
    route: 'DELETE /v1/provider/apis/{id}/invitations/{email}',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => {
      const { id } = await fixtures.listing(owner, { visibility: 'private' });
      const email = `invitee-${randomUUID().slice(0, 8)}@example.com`;
      await send(fixtures.app, owner.user, 'post', `/v1/provider/apis/${id}/invitations`, { email }).expect(
        201,
      );
      return { params: { id, email } };
    },
  },
  // ---- versions (owner) ----
  {
    route: 'POST /v1/apis/{id}/versions',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => ({
      params: { id: (await fixtures.listing(owner)).id },
      body: SMALL_DOCUMENT,
    }),
  },
  {
    route: 'GET /v1/apis/{id}/versions',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => ({
      params: { id: (await fixtures.listing(owner, { version: true })).id },
    }),
  },
  {
    route: 'GET /v1/apis/{id}/versions/{versionId}',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => {
      const { id } = await fixtures.listing(owner);
      return { params: { id, versionId: await fixtures.draftVersion(owner, id) } };
    },
  },
  {
    route: 'POST /v1/apis/{id}/versions/{versionId}/publish',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => {
      const { id } = await fixtures.listing(owner);
      return { params: { id, versionId: await fixtures.draftVersion(owner, id) } };
    },
  },
  // ---- plans (owner) ----
  {
    route: 'GET /v1/provider/apis/{id}/plans',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => ({ params: { id: (await fixtures.listing(owner)).id } }),
  },
  {
    route: 'POST /v1/provider/apis/{id}/plans',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => ({
      params: { id: (await fixtures.listing(owner)).id },
      body: { name: 'Planted', priceAmountMinor: 0 },
    }),
  },
  {
    route: 'GET /v1/provider/apis/{id}/plans/{planId}',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => {
      const { id } = await fixtures.listing(owner);
      return { params: { id, planId: (await fixtures.defaultPlan(owner, id)).id } };
    },
  },
  {
    route: 'PATCH /v1/provider/apis/{id}/plans/{planId}',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => {
      const { id } = await fixtures.listing(owner, { state: 'published' });
      return {
        params: { id, planId: (await fixtures.defaultPlan(owner, id)).id },
        body: { quotaLimit: 1, name: 'Taken over' },
      };
    },
  },
  {
    route: 'POST /v1/provider/apis/{id}/plans/{planId}/archive',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => {
      const { id } = await fixtures.listing(owner);
      return { params: { id, planId: (await fixtures.defaultPlan(owner, id)).id } };
    },
  },
  {
    route: 'GET /v1/provider/apis/{id}/plans/{planId}/invitations',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => {
      const { id } = await fixtures.listing(owner);
      return {
        params: {
          id,
          planId: (await fixtures.plan(owner, id, { name: 'Private', visibility: 'private' })).id,
        },
      };
    },
  },
  {
    route: 'POST /v1/provider/apis/{id}/plans/{planId}/invitations',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => {
      const { id } = await fixtures.listing(owner);
      const planId = (await fixtures.plan(owner, id, { name: 'Private', visibility: 'private' })).id;
      return { params: { id, planId }, body: { emails: ['intruder@example.com'] } };
    },
  },
  {
    route: 'DELETE /v1/provider/apis/{id}/plans/{planId}/invitations/{invitationId}',
    access: 'owner',
    prepare: async ({ owner, fixtures }) => {
      const { id } = await fixtures.listing(owner);
      const planId = (await fixtures.plan(owner, id, { name: 'Private', visibility: 'private' })).id;
      const invited = await send(
        fixtures.app,
        owner.user,
        'post',
        `/v1/provider/apis/${id}/plans/${planId}/invitations`,
        {
          emails: ['partner@example.com'],
        },
      ).expect(201);
      return { params: { id, planId, invitationId: (invited.body as { id: string }[])[0].id } };
    },
  },
  // ---- public reads ----
  {
    route: 'GET /v1/apis/{slug}',
    access: 'public',
    variant: 'published public listing',
    prepare: async ({ owner, fixtures }) => ({
      params: { slug: (await fixtures.listing(owner, { state: 'published' })).slug },
    }),
  },
  {
    route: 'GET /v1/apis/{slug}',
    access: 'owner-read',
    variant: 'draft listing',
    prepare: async ({ owner, fixtures }) => ({ params: { slug: (await fixtures.listing(owner)).slug } }),
  },
  {
    route: 'GET /v1/apis/{slug}',
    access: 'owner-read',
    variant: 'private published listing, nobody invited',
    prepare: async ({ owner, fixtures }) => ({
      params: { slug: (await fixtures.listing(owner, { state: 'published', visibility: 'private' })).slug },
    }),
  },
  {
    route: 'GET /v1/apis/{slug}/openapi',
    access: 'public',
    variant: 'published public listing',
    prepare: async ({ owner, fixtures }) => ({
      params: { slug: (await fixtures.listing(owner, { state: 'published', version: true })).slug },
    }),
  },
  {
    route: 'GET /v1/apis/{slug}/openapi',
    access: 'owner-read',
    variant: 'draft listing',
    prepare: async ({ owner, fixtures }) => ({
      params: { slug: (await fixtures.listing(owner, { version: true })).slug },
    }),
  },
  // ---- admin review ----
  {
    route: 'POST /v1/admin/apis/{id}/approve',
    access: 'admin',
    prepare: async ({ owner, fixtures }) => ({
      params: { id: (await fixtures.listing(owner, { state: 'pending_approval' })).id },
    }),
  },
  {
    route: 'POST /v1/admin/apis/{id}/reject',
    access: 'admin',
    prepare: async ({ owner, fixtures }) => ({
      params: { id: (await fixtures.listing(owner, { state: 'pending_approval' })).id },
    }),
  },
];

/** What a caller who may not act gets for a parameter value that does not exist. */
function randomValue(name: string, value: string): string {
  if (name === 'slug') return `no-such-api-${randomBytes(4).toString('hex')}`;
  if (name === 'email') return `nobody-${randomBytes(4).toString('hex')}@example.com`;
  if (/^[0-9a-f-]{36}$/.test(value)) return randomUUID();
  throw new Error(`no random value for path parameter ${name}`);
}

function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for {${name}} in ${template}`);
    return encodeURIComponent(value);
  });
}

/** The answer with ids, slugs and the request id blanked, so a 404 for a real id can be compared with one for an unknown id. */
function comparable(res: request.Response, values: string[]): unknown {
  let text = JSON.stringify(res.body ?? null);
  for (const value of values) text = text.split(value).join('<param>');
  const body = JSON.parse(text) as Record<string, unknown> | null;
  if (body && typeof body === 'object') delete body.requestId;
  return { status: res.status, contentType: res.headers['content-type'], body };
}

function documentedSuccess(document: OpenAPIObject, route: string): number {
  const [method, path] = route.split(' ');
  const op = document.paths[path]?.[method.toLowerCase() as HttpMethod];
  const success = Object.keys(op?.responses ?? {}).find((status) => status.startsWith('2'));
  if (!success) throw new Error(`${route} documents no 2xx response`);
  return Number(success);
}

describe('catalog authorization matrix', () => {
  let app: INestApplication;
  let document: OpenAPIObject;
  let fixtures: CatalogFixtures;
  let owner: CatalogProvider;
  let callers: Record<Exclude<Role, 'owner'>, SignedUp | null>;

  beforeAll(async () => {
    app = await startApi();
    document = buildOpenApiDocument(app);
    fixtures = new CatalogFixtures(app, app.get(DataSource));
    owner = await fixtures.provider('owner');
    callers = {
      otherProvider: (await fixtures.provider('other')).user,
      consumer: await signUp(app, 'consumer'),
      admin: await fixtures.admin(),
      anonymous: null,
    };
  });

  afterAll(async () => {
    await app.close();
  });

  it('has a row for every catalog route with a path parameter, and no row for a route that does not exist', () => {
    const documented = catalogOperations(document).filter((route) => route.includes('{'));
    const covered = [...new Set(ROWS.map((row) => row.route))].sort();
    expect(covered).toEqual(documented);
  });

  for (const row of ROWS) {
    const label = `${row.route}${row.variant ? ` (${row.variant})` : ''} [${row.access}]`;

    it(label, async () => {
      const [verb, template] = row.route.split(' ');
      const method = verb.toLowerCase() as HttpMethod;
      const success = documentedSuccess(document, row.route);
      const prepared = await row.prepare({ owner, fixtures });
      const url = fill(template, prepared.params);
      const randomParams = Object.fromEntries(
        Object.entries(prepared.params).map(([name, value]) => [name, randomValue(name, value)]),
      );
      const randomUrl = fill(template, randomParams);
      const values = [...Object.values(prepared.params), ...Object.values(randomParams)];
      const before = await fixtures.snapshot(owner.providerId);

      const results: Record<string, unknown> = {};
      const expected: Record<string, unknown> = {};
      for (const [role, user] of Object.entries(callers) as [Exclude<Role, 'owner'>, SignedUp | null][]) {
        if (row.access === 'admin' && role === 'admin') continue; // the admin acts last
        const res = await send(app, user, method, url, prepared.body);
        if (row.access === 'public') {
          results[role] = res.status;
          expected[role] = success;
        } else if (row.access === 'admin') {
          results[role] = res.status;
          expected[role] = user ? 403 : 401;
        } else if (role === 'anonymous' && row.access === 'owner') {
          results[role] = comparable(res, values);
          expected[role] = {
            status: 401,
            contentType: expect.stringMatching(/^application\/problem\+json/) as unknown,
            body: expect.objectContaining({ code: 'unauthenticated' }) as unknown,
          };
        } else {
          // exactly what the same caller gets for ids that do not exist
          const unknown = await send(app, user, method, randomUrl, prepared.body);
          results[role] = comparable(res, values);
          expected[role] = comparable(unknown, values);
          expect({ role, status: unknown.status }).toEqual({ role, status: 404 });
        }
      }
      expect(results).toEqual(expected);
      if (method !== 'get') expect(await fixtures.snapshot(owner.providerId)).toEqual(before);

      const privileged = row.access === 'admin' ? callers.admin : owner.user;
      const res = await send(app, privileged, method, url, prepared.body);
      expect({
        route: row.route,
        status: res.status,
        body: res.status === success ? null : (res.body as unknown),
      }).toEqual({
        route: row.route,
        status: success,
        body: null,
      });
    });
  }
});
