import { randomUUID } from 'node:crypto';
import type { PayoutStatus } from '@app/catalog';
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { signUp, type SignedUp } from './api-client';

/** Catalog fixtures built through the HTTP API the way a provider would (shared by the catalog suites). */

export interface CatalogProvider {
  user: SignedUp;
  providerId: string;
}

export interface ListingRef {
  id: string;
  slug: string;
}

export type ListingState = 'draft' | 'pending_approval' | 'published' | 'deprecated';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A three-endpoint OpenAPI document, enough for versions and plan endpoint checks. */
export const SMALL_DOCUMENT = {
  openapi: '3.0.3',
  info: { title: 'Search', version: '1.0.0' },
  paths: {
    '/search': { get: { responses: { '200': { description: 'ok' } } } },
    '/items/{id}': {
      get: {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'ok' } },
      },
      delete: {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '204': { description: 'gone' } },
      },
    },
  },
};

/**
 * Catalog operations of the api: every route of the provider, listing, version, plan, public catalog and admin review code.
 * `/v1/provider/subscriptions…` belongs to libs/subscriptions; test/subscriptions.e2e-spec.ts covers its authorization.
 * `/v1/apis/{slug}/reviews` belongs to libs/reviews; test/reviews.e2e-spec.ts covers its authorization and mass assignment.
 * `/v1/provider/invoices…` belongs to libs/billing; test/billing-stripe.e2e-spec.ts covers another provider's refund (404).
 */
export const CATALOG_PATH =
  /^\/v1\/(provider(?!\/(subscriptions|invoices)(\/|$))(\/|$)|apis(?!\/[^/]+\/reviews(\/|$))(\/|$)|categories$|admin\/apis(\/|$)|providers(\/|$))/;

const METHODS: HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];

/** `METHOD /path/{param}` of every catalog operation in the document. */
export function catalogOperations(document: OpenAPIObject): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    if (!CATALOG_PATH.test(path)) continue;
    for (const method of METHODS) if (item[method]) out.push(`${method.toUpperCase()} ${path}`);
  }
  return out.sort();
}

let counter = 0;
export function uniqueSlug(tag: string): string {
  counter += 1;
  return `${tag}-${randomUUID().slice(0, 8)}-${counter}`;
}

/** A request as `user` (cookie + CSRF token), or anonymous when `user` is null. */
export function send(
  app: INestApplication,
  user: SignedUp | null,
  method: HttpMethod,
  url: string,
  body?: unknown,
): request.Test {
  const req = user ? user.agent[method](url) : request(app.getHttpServer())[method](url);
  if (user && method !== 'get') req.set('X-CSRF-Token', user.csrfToken);
  return body === undefined ? req : req.send(body as object);
}

export class CatalogFixtures {
  constructor(
    readonly app: INestApplication,
    private readonly dataSource: DataSource,
  ) {}

  /** An account made a provider through POST /v1/provider, its payout status then set as asked. */
  async provider(tag: string, payoutStatus: PayoutStatus = 'ready'): Promise<CatalogProvider> {
    const user = await signUp(this.app, tag);
    const res = await send(this.app, user, 'post', '/v1/provider', {
      displayName: `Provider ${tag}`,
      slug: uniqueSlug(tag),
      supportEmail: 'support@provider.example',
    }).expect(201);
    if (res.body.payoutStatus !== payoutStatus)
      await this.dataSource.query('UPDATE providers SET payout_status = $2 WHERE id = $1', [
        res.body.id,
        payoutStatus,
      ]);
    return { user, providerId: res.body.id as string };
  }

  /** A signed-in account with the admin role (granted in the database, as `grant-admin` does). */
  async admin(tag = 'admin'): Promise<SignedUp> {
    const user = await signUp(this.app, tag);
    await this.dataSource.query(`UPDATE accounts SET roles = array_append(roles, 'admin') WHERE id = $1`, [
      user.accountId,
    ]);
    return user;
  }

  /** A listing (with its default free plan) in the state asked, optionally with a current version. */
  async listing(
    owner: CatalogProvider,
    options: { state?: ListingState; visibility?: 'public' | 'private'; version?: boolean } = {},
  ): Promise<ListingRef> {
    const created = await send(this.app, owner.user, 'post', '/v1/provider/apis', {
      name: 'Search API',
      slug: uniqueSlug('api'),
      summary: 'Finds things.',
      category: 'data',
      visibility: options.visibility ?? 'public',
      upstreamLiveUrl: 'https://93.184.215.14',
    }).expect(201);
    const ref: ListingRef = { id: created.body.id as string, slug: created.body.slug as string };
    if (options.version) await this.currentVersion(owner, ref.id);
    const state = options.state ?? 'draft';
    if (state === 'pending_approval') {
      await this.dataSource.query(`UPDATE api_listings SET status = 'pending_approval' WHERE id = $1`, [
        ref.id,
      ]);
    } else if (state !== 'draft') {
      await send(this.app, owner.user, 'post', `/v1/provider/apis/${ref.id}/publish`, {}).expect(200);
      if (state === 'deprecated') {
        await send(this.app, owner.user, 'post', `/v1/provider/apis/${ref.id}/deprecate`, {
          sunsetAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          message: 'Moving to v2.',
        }).expect(200);
      }
    }
    return ref;
  }

  /** Imports SMALL_DOCUMENT as a draft version; returns its id. */
  async draftVersion(owner: CatalogProvider, apiId: string): Promise<string> {
    const res = await send(this.app, owner.user, 'post', `/v1/apis/${apiId}/versions`, SMALL_DOCUMENT).expect(
      201,
    );
    return res.body.id as string;
  }

  async currentVersion(owner: CatalogProvider, apiId: string): Promise<string> {
    const versionId = await this.draftVersion(owner, apiId);
    await send(this.app, owner.user, 'post', `/v1/apis/${apiId}/versions/${versionId}/publish`, {}).expect(
      200,
    );
    return versionId;
  }

  async plan(owner: CatalogProvider, apiId: string, body: Record<string, unknown>): Promise<{ id: string }> {
    const res = await send(this.app, owner.user, 'post', `/v1/provider/apis/${apiId}/plans`, body).expect(
      201,
    );
    return { id: res.body.id as string };
  }

  async defaultPlan(owner: CatalogProvider, apiId: string): Promise<{ id: string }> {
    const res = await send(this.app, owner.user, 'get', `/v1/provider/apis/${apiId}/plans`).expect(200);
    return { id: (res.body as { id: string }[])[0].id };
  }

  /** Every catalog row of a provider (and of its account's provider-less state), for "nothing changed" checks. */
  async snapshot(providerId: string): Promise<Record<string, unknown>> {
    const apis = `(SELECT id FROM api_listings WHERE provider_id = $1)`;
    const tables: Record<string, string> = {
      providers: `SELECT * FROM providers WHERE id = $1`,
      listings: `SELECT * FROM api_listings WHERE provider_id = $1`,
      plans: `SELECT * FROM plans WHERE api_id IN ${apis}`,
      invitations: `SELECT * FROM api_invitations WHERE api_id IN ${apis}`,
      proxySecrets: `SELECT * FROM api_proxy_secrets WHERE api_id IN ${apis}`,
      versions: `SELECT id, api_id, number, label, published_at, changelog FROM api_versions WHERE api_id IN ${apis}`,
      endpoints: `SELECT id, version_id, method, path FROM api_endpoints WHERE api_id IN ${apis}`,
    };
    const out: Record<string, unknown> = {};
    for (const [name, sql] of Object.entries(tables)) {
      const rows = await this.dataSource.query<Record<string, unknown>[]>(
        `SELECT coalesce(json_agg(t ORDER BY t.id), '[]') AS rows FROM (${sql}) t`,
        [providerId],
      );
      out[name] = rows[0].rows;
    }
    return out;
  }
}
