import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import type {
  ReferenceObject,
  RequestBodyObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { DataSource } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { buildOpenApiDocument } from '../apps/api/src/openapi';
import { signUp, startApi, type SignedUp } from './support/api-client';
import {
  CatalogFixtures,
  catalogOperations,
  send,
  uniqueSlug,
  type CatalogProvider,
  type HttpMethod,
} from './support/catalog-fixtures';

/**
 * Mass assignment on the catalog: every create/update route (derived from the OpenAPI document:
 * each catalog operation with a JSON request body) gets a valid body plus, one at a time and then
 * all together, every column of every catalog entity (and relation, and a few tempting names such
 * as `rating` or `roles`) that its DTO does not declare — the route's own table also in snake_case.
 * Each must answer 400 `validation_failed` naming the field, nothing may change (every catalog row
 * of the provider re-read), and finally the valid body alone must succeed, which proves the 400 came
 * from the smuggled field.
 */

/** Catalog tables: their columns and relations are what an attacker would try to set. */
const CATALOG_TABLES = [
  'providers',
  'api_listings',
  'api_invitations',
  'api_proxy_secrets',
  'api_versions',
  'api_endpoints',
  'plans',
  'categories',
];

/** Names that are not columns (yet) but that a client might try: reviews, roles, fees. */
const TEMPTING_NAMES = [
  'rating',
  'ratingCount',
  'reviewCount',
  'feeBps',
  'platformFeeBps',
  'roles',
  'isAdmin',
  'verified',
  'approved',
];

/** Catalog routes whose body is not a DTO, with the reason they are not in the table below. */
const NOT_DTO_BODIES: Record<string, string> = {
  'POST /v1/apis/{id}/versions':
    'the body is the OpenAPI document itself (any JSON object is a document): no entity field can be set through it',
};

interface Ctx {
  owner: CatalogProvider;
  fixtures: CatalogFixtures;
}

interface Prepared {
  params: Record<string, string>;
  body: Record<string, unknown>;
  /** Valid values of the DTO's nested objects, each smuggled with an extra key. */
  nested?: Record<string, Record<string, unknown>>;
}

interface Row {
  route: string;
  /** The table the route writes (its columns are also tried in snake_case). */
  table: string;
  /** `fresh`: a signed-in account that is not a provider yet (POST /v1/provider). */
  caller: 'owner' | 'fresh';
  prepare: (ctx: Ctx) => Promise<Prepared>;
}

const ROWS: Row[] = [
  {
    route: 'POST /v1/provider',
    table: 'providers',
    caller: 'fresh',
    prepare: () =>
      Promise.resolve({
        params: {},
        body: { displayName: 'Mass Corp', slug: uniqueSlug('mass'), supportEmail: 'help@mass.example' },
      }),
  },
  {
    route: 'PATCH /v1/provider',
    table: 'providers',
    caller: 'owner',
    prepare: () => Promise.resolve({ params: {}, body: { displayName: 'Renamed' } }),
  },
  {
    route: 'POST /v1/provider/apis',
    table: 'api_listings',
    caller: 'owner',
    prepare: () =>
      Promise.resolve({
        params: {},
        body: {
          name: 'Mass API',
          slug: uniqueSlug('mass'),
          summary: 'x',
          category: 'data',
          upstreamLiveUrl: 'https://93.184.215.14',
        },
        nested: { credential: { location: 'header', name: 'X-Api-Key', value: 'a-long-upstream-secret' } },
      }),
  },
  {
    route: 'PATCH /v1/provider/apis/{id}',
    table: 'api_listings',
    caller: 'owner',
    prepare: async ({ owner, fixtures }) => ({
      params: { id: (await fixtures.listing(owner)).id },
      body: { summary: 'Changed' },
      nested: { credential: { location: 'query', name: 'key', value: 'a-long-upstream-secret' } },
    }),
  },
  {
    route: 'POST /v1/provider/apis/{id}/deprecate',
    table: 'api_listings',
    caller: 'owner',
    prepare: async ({ owner, fixtures }) => ({
      params: { id: (await fixtures.listing(owner, { state: 'published' })).id },
      body: { sunsetAt: new Date(Date.now() + 30 * 86_400_000).toISOString(), message: 'Moving to v2.' },
    }),
  },
  {
    route: 'POST /v1/provider/apis/{id}/proxy-secret/rotate',
    table: 'api_proxy_secrets',
    caller: 'owner',
    prepare: async ({ owner, fixtures }) => ({
      params: { id: (await fixtures.listing(owner)).id },
      body: { gracePeriodSeconds: 60 },
    }),
  },
  {
    route: 'POST /v1/provider/apis/{id}/invitations',
    table: 'api_invitations',
    caller: 'owner',
    prepare: async ({ owner, fixtures }) => ({
      params: { id: (await fixtures.listing(owner, { visibility: 'private' })).id },
      body: { email: 'invitee@example.com' },
    }),
  },
  {
    route: 'POST /v1/provider/apis/{id}/plans',
    table: 'plans',
    caller: 'owner',
    prepare: async ({ owner, fixtures }) => ({
      params: { id: (await fixtures.listing(owner)).id },
      body: { name: 'Mass' },
      nested: { rateLimit: { perSecond: 5 } },
    }),
  },
  {
    route: 'PATCH /v1/provider/apis/{id}/plans/{planId}',
    table: 'plans',
    caller: 'owner',
    prepare: async ({ owner, fixtures }) => {
      const { id } = await fixtures.listing(owner, { state: 'published' });
      return {
        params: { id, planId: (await fixtures.defaultPlan(owner, id)).id },
        body: { description: 'Changed' },
        nested: { rateLimit: { perSecond: 9 } },
      };
    },
  },
  {
    route: 'POST /v1/provider/apis/{id}/plans/{planId}/invitations',
    table: 'api_invitations',
    caller: 'owner',
    prepare: async ({ owner, fixtures }) => {
      const { id } = await fixtures.listing(owner);
      const planId = (await fixtures.plan(owner, id, { name: 'Private', visibility: 'private' })).id;
      return { params: { id, planId }, body: { emails: ['partner@example.com'] } };
    },
  },
];

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function resolve(
  document: OpenAPIObject,
  schema: SchemaObject | ReferenceObject | undefined,
): SchemaObject | undefined {
  if (!schema) return undefined;
  if ('$ref' in schema)
    return document.components?.schemas?.[schema.$ref.split('/').pop()!] as SchemaObject | undefined;
  return schema;
}

/** The JSON body schema of an operation, when it has one. */
function bodySchema(document: OpenAPIObject, route: string): SchemaObject | undefined {
  const [method, path] = route.split(' ');
  const op = document.paths[path]?.[method.toLowerCase() as HttpMethod];
  const body = op?.requestBody as RequestBodyObject | undefined;
  return resolve(document, body?.content?.['application/json']?.schema);
}

describe('catalog mass assignment', () => {
  let app: INestApplication;
  let dataSource: DataSource;
  let document: OpenAPIObject;
  let fixtures: CatalogFixtures;
  let owner: CatalogProvider;
  let attacker: CatalogProvider;
  let columns: ColumnMetadata[];
  let relations: string[];

  beforeAll(async () => {
    app = await startApi();
    dataSource = app.get(DataSource);
    document = buildOpenApiDocument(app);
    fixtures = new CatalogFixtures(app, dataSource);
    owner = await fixtures.provider('owner');
    attacker = await fixtures.provider('attacker');
    const metadatas = dataSource.entityMetadatas.filter((m) => CATALOG_TABLES.includes(m.tableName));
    expect(metadatas.map((m) => m.tableName).sort()).toEqual([...CATALOG_TABLES].sort());
    columns = metadatas.flatMap((m) => m.columns);
    relations = metadatas.flatMap((m) => m.relations.map((r) => r.propertyName));
  });

  afterAll(async () => {
    await app.close();
  });

  /** A value an attacker would like the column to take. */
  function hostileValue(column: ColumnMetadata): unknown {
    const special: Record<string, unknown> = {
      ownerAccountId: attacker.user.accountId,
      providerId: attacker.providerId,
      status: 'published',
      payoutStatus: 'ready',
      chargesEnabled: true,
      payoutsEnabled: true,
      stripeAccountId: 'acct_attacker',
      feeBpsOverride: 0,
      version: 99,
      priceAmountMinor: 0,
    };
    if (column.propertyName in special) return special[column.propertyName];
    const type = typeof column.type === 'string' ? column.type : 'varchar';
    let value: unknown;
    if (type === 'uuid') value = randomUUID();
    else if (type === 'boolean') value = true;
    else if (type === 'integer' || type === 'int') value = 1;
    else if (type === 'bigint') value = '1';
    else if (type === 'numeric') value = '0.01';
    else if (type === 'json' || type === 'jsonb') value = {};
    else if (type.startsWith('timestamp')) value = new Date().toISOString();
    else value = 'x';
    return column.isArray ? [value] : value;
  }

  it('has a row for every catalog route with a JSON body, and no row for a route that does not exist', () => {
    const withBody = catalogOperations(document).filter(
      (route) => bodySchema(document, route) !== undefined || route in NOT_DTO_BODIES,
    );
    const covered = [...ROWS.map((row) => row.route), ...Object.keys(NOT_DTO_BODIES)].sort();
    expect(covered).toEqual(withBody);
  });

  for (const row of ROWS) {
    it(`${row.route} rejects every field its DTO does not declare and changes nothing`, async () => {
      const [verb, template] = row.route.split(' ');
      const method = verb.toLowerCase() as HttpMethod;
      const schema = bodySchema(document, row.route);
      const declared = new Set(Object.keys(schema?.properties ?? {}));
      expect(declared.size).toBeGreaterThan(0);

      const prepared = await row.prepare({ owner, fixtures });
      const url = template.replace(/\{([^}]+)\}/g, (_, name: string) =>
        encodeURIComponent(prepared.params[name]),
      );
      const caller: SignedUp = row.caller === 'fresh' ? await signUp(app, 'fresh') : owner.user;
      const snapshot = async (): Promise<unknown> =>
        row.caller === 'fresh'
          ? dataSource.query('SELECT count(*)::int AS n FROM providers WHERE owner_account_id = $1', [
              caller.accountId,
            ])
          : fixtures.snapshot(owner.providerId);
      const before = await snapshot();

      const smuggled = new Map<string, unknown>();
      for (const column of columns)
        if (!declared.has(column.propertyName)) smuggled.set(column.propertyName, hostileValue(column));
      for (const column of columns.filter((c) => c.entityMetadata.tableName === row.table)) {
        const name = snake(column.propertyName);
        if (!declared.has(name)) smuggled.set(name, hostileValue(column));
      }
      for (const name of [...relations, ...TEMPTING_NAMES])
        if (!declared.has(name)) smuggled.set(name, name === 'roles' ? ['admin'] : { id: randomUUID() });
      expect([...smuggled.keys()]).toEqual(
        expect.arrayContaining(['status', 'familyId', 'ownerAccountId', 'rating']),
      );

      const failures: string[] = [];
      const check = async (label: string, body: Record<string, unknown>, field: string): Promise<void> => {
        const res = await send(app, caller, method, url, body);
        const fields = ((res.body.errors ?? []) as { field: string }[]).map((e) => e.field);
        if (res.status !== 400 || res.body.code !== 'validation_failed' || !fields.includes(field))
          failures.push(`${label}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      };
      for (const [name, value] of smuggled) await check(name, { ...prepared.body, [name]: value }, name);
      const everything = Object.fromEntries(smuggled);
      await check('all at once', { ...prepared.body, ...everything }, 'status');
      for (const [property, valid] of Object.entries(prepared.nested ?? {})) {
        await check(
          `${property}.status`,
          { ...prepared.body, [property]: { ...valid, status: 'published' } },
          `${property}.status`,
        );
        await check(
          `${property}.providerId`,
          { ...prepared.body, [property]: { ...valid, providerId: attacker.providerId } },
          `${property}.providerId`,
        );
      }
      expect(failures).toEqual([]);
      expect(await snapshot()).toEqual(before);

      // the same body without the smuggled fields is accepted: the 400s were the smuggled fields'
      const ok = await send(app, caller, method, url, {
        ...prepared.body,
        ...Object.fromEntries(Object.entries(prepared.nested ?? {})),
      });
      expect(ok.status < 300 ? 'accepted' : `${ok.status} ${JSON.stringify(ok.body)}`).toBe('accepted');
    });
  }
});
