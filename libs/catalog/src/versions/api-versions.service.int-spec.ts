import { CoreEnv, CoreModule } from '@app/common';
import { appErrorOf } from '@app/common/testing';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { CatalogModule } from '../catalog.module';
import { ApiListingEntity } from '../listings/api-listing.entity';
import {
  GITHUB_REST_DESCRIPTION,
  insertListing,
  insertProvider,
  operationKeys,
  readOasExample,
} from '../testing';
import { ApiEndpointEntity } from './api-endpoint.entity';
import { ApiVersionsService } from './api-versions.service';
import { EndpointsService } from './endpoints.service';
import { TRUNCATED_MARKER_KEY } from './openapi-import.limits';

@Module({
  imports: [
    CoreModule.forRoot({ app: 'catalog-versions-test', env: CoreEnv, envFragments: [], migrations: [] }),
    CatalogModule,
  ],
})
class VersionsTestModule {}

function endpointKeys(endpoints: Pick<ApiEndpointEntity, 'method' | 'path'>[]): string[] {
  return endpoints.map((e) => `${e.method} ${e.path}`).sort();
}

describe('ApiVersionsService (OpenAPI import and versions)', () => {
  let context: INestApplicationContext;
  let dataSource: DataSource;
  let versions: ApiVersionsService;
  let endpoints: EndpointsService;

  /** A fresh provider account with one listing. */
  async function newApi(): Promise<{ owner: string; apiId: string; slug: string }> {
    const owner = randomUUID();
    const provider = await insertProvider(dataSource, owner);
    const listing = await insertListing(dataSource, provider.id);
    return { owner, apiId: listing.id, slug: listing.slug };
  }

  beforeAll(async () => {
    context = await NestFactory.createApplicationContext(VersionsTestModule, {
      logger: false,
      abortOnError: false,
    });
    dataSource = context.get(DataSource);
    versions = context.get(ApiVersionsService);
    endpoints = context.get(EndpointsService);
  });

  afterAll(async () => {
    await context?.close();
  });

  it.each([
    ['2.0/json/petstore.json', 'swagger-2.0'],
    ['3.0/json/petstore.json', 'openapi-3.0'],
    ['3.1/json/petstore.json', 'openapi-3.1'],
    ['3.0/yaml/petstore.yaml', 'openapi-3.0'],
  ])('imports the Petstore %s with exactly the operations of the document', async (file, format) => {
    const { owner, apiId } = await newApi();
    const text = readOasExample(file);
    const raw = file.endsWith('.json')
      ? JSON.parse(text)
      : JSON.parse(readOasExample(file.replace(/yaml/g, 'json')));
    const result = await versions.importDocument(owner, apiId, { kind: 'text', text, syntax: 'auto' });

    expect(result.version).toMatchObject({
      number: 1,
      label: '1.0.0',
      sourceFormat: format,
      status: 'draft',
      publishedAt: null,
    });
    expect(result.version.endpointCount).toBe(operationKeys(raw).length);
    const detail = await versions.get(owner, apiId, result.version.id);
    expect(endpointKeys(detail.endpoints)).toEqual(operationKeys(raw));
    expect(result.changelogPreview.added).toHaveLength(operationKeys(raw).length);

    const byId = detail.endpoints.find((e) => e.method === 'GET' && e.path === '/pet/{petId}');
    expect(byId).toMatchObject({ operationId: 'getPetById', tags: ['pet'], deprecated: false });
    expect(byId?.parameters).toEqual([
      expect.objectContaining({ name: 'petId', in: 'path', required: true }),
    ]);
    // dereferenced: the Pet schema is inline, not a $ref
    const ok = (
      byId?.responses['200'] as {
        content: Record<string, { schema: { properties: Record<string, unknown> } }>;
      }
    ).content;
    expect(Object.values(ok)[0].schema.properties).toHaveProperty('name');
    const findByStatus = detail.endpoints.find((e) => e.path === '/pet/findByStatus');
    expect(findByStatus?.parameters).toEqual([expect.objectContaining({ name: 'status', in: 'query' })]);
    expect(detail.endpoints.find((e) => e.path === '/pet/findByTags')?.deprecated).toBe(true);
  });

  it('keeps the uploaded document as it was, key order included (needs api_versions.document as json, not jsonb)', async () => {
    const { owner, apiId } = await newApi();
    const text = readOasExample('3.0/json/petstore.json');
    const { version } = await versions.importDocument(owner, apiId, { kind: 'text', text, syntax: 'json' });
    const [row] = await dataSource.query<{ document: string }[]>(
      'SELECT document::text AS document FROM api_versions WHERE id = $1',
      [version.id],
    );
    expect(Object.keys(JSON.parse(row.document))).toEqual(Object.keys(JSON.parse(text)));
    expect(JSON.parse(row.document)).toEqual(JSON.parse(text));
  });

  it.each([
    '3.0/json/circular.json',
    '3.0/json/circular-paths.json',
    '3.0/json/circular-request-bodies.json',
    '3.0/json/schema-circular.json',
    '2.0/json/schema-circular.json',
  ])('imports %s (circular references) without hanging, leaving the cycle as a $ref', async (file) => {
    const { owner, apiId } = await newApi();
    const text = readOasExample(file);
    const result = await versions.importDocument(owner, apiId, { kind: 'text', text, syntax: 'auto' });
    const detail = await versions.get(owner, apiId, result.version.id);
    expect(endpointKeys(detail.endpoints)).toEqual(operationKeys(JSON.parse(text)));
    const stored = JSON.stringify(detail.endpoints.map((e) => [e.parameters, e.requestBody, e.responses]));
    expect(stored).toMatch(/"\$ref":"#\//);
  });

  it('answers validation_failed with JSON pointers into the document as uploaded', async () => {
    const { owner, apiId } = await newApi();
    const document = {
      openapi: '3.0.3',
      info: { title: 'Broken', version: '1' },
      paths: {
        '/pets': { get: { summary: 'List pets' } },
        '/pets/{id}': {
          get: {
            responses: {
              '200': {
                description: 'A pet',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } },
              },
            },
          },
        },
      },
      components: { schemas: { Pet: { type: 'object', properties: { name: { type: 'strin' } } } } },
    };
    const error = await appErrorOf(
      versions.importDocument(owner, apiId, { kind: 'object', value: document }),
    );
    expect(error.code).toBe('validation_failed');
    const problems = error.extensions.errors as { pointer: string; message: string }[];
    expect(problems).toEqual(
      expect.arrayContaining([
        { pointer: '/paths/~1pets/get/responses', message: "must have required property 'responses'" },
        expect.objectContaining({ pointer: '/components/schemas/Pet/properties/name/type' }),
      ]),
    );
    expect(await versions.list(owner, apiId)).toEqual([]);
  });

  it('locates the errors of an invalid real-world document (Petstore 3.0 without a response)', async () => {
    const { owner, apiId } = await newApi();
    const document = JSON.parse(readOasExample('3.0/json/petstore.json'));
    delete document.paths['/pet/{petId}'].get.responses;
    document.paths['/pet/{petId}'].get.operationId = document.paths['/pet'].post.operationId;
    const error = await appErrorOf(
      versions.importDocument(owner, apiId, { kind: 'object', value: document }),
    );
    expect(error.extensions.errors).toEqual(
      expect.arrayContaining([
        {
          pointer: '/paths/~1pet~1{petId}/get/responses',
          message: "must have required property 'responses'",
        },
      ]),
    );
  });

  it('refuses a small document whose references expand exponentially, before validating it', async () => {
    const { owner, apiId } = await newApi();
    const schemas: Record<string, unknown> = { S0: { type: 'string' } };
    for (let i = 1; i <= 40; i++) {
      const ref = { $ref: `#/components/schemas/S${i - 1}` };
      schemas[`S${i}`] = { type: 'object', properties: { a: ref, b: ref } };
    }
    const document = {
      openapi: '3.0.3',
      info: { title: 'Amplified', version: '1' },
      paths: {
        '/x': {
          get: {
            responses: {
              '200': {
                description: 'ok',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/S40' } } },
              },
            },
          },
        },
      },
      components: { schemas },
    };
    const error = await appErrorOf(
      versions.importDocument(owner, apiId, { kind: 'object', value: document }),
    );
    expect(error.code).toBe('validation_failed');
    expect(error.extensions.errors).toEqual([
      { pointer: '', message: expect.stringContaining('expands to more than') },
    ]);
  });

  it('refuses external references without fetching them (no SSRF)', async () => {
    let hits = 0;
    const server: Server = createServer((_req, res) => {
      hits += 1;
      res.setHeader('content-type', 'application/json');
      res.end('{"type":"string"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const { owner, apiId } = await newApi();
      for (const ref of [`http://127.0.0.1:${port}/schema.json`, 'file:///etc/passwd', './pet.yaml#/Pet']) {
        const document = JSON.parse(readOasExample('3.0/json/petstore-simple.json'));
        document.paths['/pet/{id}'].get.responses['400'].content = {
          'application/json': { schema: { $ref: ref } },
        };
        const error = await appErrorOf(
          versions.importDocument(owner, apiId, { kind: 'object', value: document }),
        );
        expect(error.code).toBe('validation_failed');
        expect(error.extensions.errors).toEqual([
          {
            pointer: '/paths/~1pet~1{id}/get/responses/400/content/application~1json/schema/$ref',
            message: expect.stringContaining('external reference'),
          },
        ]);
      }
      // a Swagger 2.0 document goes through swagger2openapi too: same refusal, no fetch
      const swagger = JSON.parse(readOasExample('2.0/json/petstore-simple.json'));
      swagger.definitions.Tag = { $ref: `http://127.0.0.1:${port}/tag.json` };
      expect(
        (await appErrorOf(versions.importDocument(owner, apiId, { kind: 'object', value: swagger }))).code,
      ).toBe('validation_failed');
      expect(hits).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("answers not_found for another provider's API exactly like an unknown id, before any parsing", async () => {
    const { apiId } = await newApi();
    const stranger = await newApi();
    const text = readOasExample('3.0/json/petstore.json');
    const theirs = await appErrorOf(
      versions.importDocument(stranger.owner, apiId, { kind: 'text', text, syntax: 'json' }),
    );
    const unknown = await appErrorOf(
      versions.importDocument(stranger.owner, randomUUID(), { kind: 'text', text, syntax: 'json' }),
    );
    expect(theirs.code).toBe('not_found');
    expect(theirs.detail).toBe(unknown.detail);
    // not parsed: even garbage gets the 404
    expect(
      (
        await appErrorOf(
          versions.importDocument(stranger.owner, apiId, { kind: 'text', text: '{', syntax: 'json' }),
        )
      ).code,
    ).toBe('not_found');
    expect((await appErrorOf(versions.list(stranger.owner, apiId))).code).toBe('not_found');
  });

  it('numbers versions, publishes a draft with a changelog, and serves the current endpoints', async () => {
    const { owner, apiId, slug } = await newApi();
    const v1Doc = JSON.parse(readOasExample('3.0/json/petstore.json'));
    const first = await versions.importDocument(owner, apiId, { kind: 'object', value: v1Doc });
    expect(await endpoints.listCurrent(apiId)).toEqual([]);

    const published = await versions.publish(owner, apiId, first.version.id);
    expect(published).toMatchObject({ status: 'current', number: 1 });
    expect(published.changelog?.added).toHaveLength(first.version.endpointCount);
    expect(published.changelog).toMatchObject({ removed: [], changed: [] });
    expect(endpointKeys(await endpoints.listCurrent(apiId))).toEqual(operationKeys(v1Doc));
    const listing = await dataSource.getRepository(ApiListingEntity).findOneByOrFail({ id: apiId });
    expect(listing.currentVersionId).toBe(first.version.id);

    // v2: one endpoint removed, one added, one changed (summary + a new query parameter), key order shuffled
    const v2Doc = JSON.parse(readOasExample('3.0/json/petstore.json'));
    delete v2Doc.paths['/user/logout'];
    v2Doc.paths['/pet/{petId}/photos'] = {
      get: {
        summary: 'Photos',
        parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'integer' } }],
        responses: { '200': { description: 'ok' } },
      },
    };
    v2Doc.paths['/pet/findByStatus'].get.summary = 'Finds pets by status (paged)';
    v2Doc.paths['/pet/findByStatus'].get.parameters.push({
      name: 'page',
      in: 'query',
      schema: { type: 'integer' },
    });
    v2Doc.info.version = '1.1.0';
    v2Doc.paths['/store/inventory'].get = Object.fromEntries(
      Object.entries(v2Doc.paths['/store/inventory'].get).reverse(),
    );
    const second = await versions.importDocument(owner, apiId, { kind: 'object', value: v2Doc });
    expect(second.version).toMatchObject({ number: 2, label: '1.1.0', status: 'draft' });
    const expected = {
      added: [{ method: 'GET', path: '/pet/{petId}/photos' }],
      removed: [{ method: 'GET', path: '/user/logout' }],
      changed: [{ method: 'GET', path: '/pet/findByStatus', fields: ['summary', 'parameters'] }],
    };
    expect(second.changelogPreview).toEqual(expected);
    expect(await versions.publish(owner, apiId, second.version.id)).toMatchObject({
      status: 'current',
      changelog: expected,
    });
    expect(endpointKeys(await endpoints.listCurrent(apiId))).toEqual(operationKeys(v2Doc));

    // publishing the current version again changes nothing; a superseded one is history
    expect(await versions.publish(owner, apiId, second.version.id)).toMatchObject({
      status: 'current',
      changelog: expected,
    });
    expect((await appErrorOf(versions.publish(owner, apiId, first.version.id))).code).toBe('conflict');
    expect((await versions.list(owner, apiId)).map((v) => [v.number, v.status])).toEqual([
      [2, 'current'],
      [1, 'superseded'],
    ]);

    // the public document is the current one, byte for byte as stored
    await dataSource
      .getRepository(ApiListingEntity)
      .update({ id: apiId }, { status: 'published', publishedAt: new Date() });
    const json = await versions.renderCurrentDocument(slug, null, 'json');
    expect(JSON.parse(json.body).info.version).toBe('1.1.0');
    const yaml = await versions.renderCurrentDocument(slug, null, 'yaml');
    expect(yaml.body).toContain('version: 1.1.0');
  });

  it("keeps a draft listing's document to its owner", async () => {
    const { owner, apiId, slug } = await newApi();
    const { version } = await versions.importDocument(owner, apiId, {
      kind: 'text',
      text: readOasExample('3.1/json/petstore.json'),
      syntax: 'json',
    });
    await versions.publish(owner, apiId, version.id);
    expect((await appErrorOf(versions.renderCurrentDocument(slug, null, 'json'))).code).toBe('not_found');
    const stranger = { accountId: randomUUID(), email: 'stranger@example.com' };
    expect((await appErrorOf(versions.renderCurrentDocument(slug, stranger, 'json'))).code).toBe('not_found');
    const own = await versions.renderCurrentDocument(
      slug,
      { accountId: owner, email: 'owner@example.com' },
      'json',
    );
    expect(own.versionId).toBe(version.id);
  });

  it("imports GitHub's full REST description (~12 MB, ~1,200 operations) with every operation, in bounded space", async () => {
    const { owner, apiId } = await newApi();
    const text = readFileSync(GITHUB_REST_DESCRIPTION, 'utf8');
    const expected = operationKeys(JSON.parse(text));
    expect(expected.length).toBeGreaterThan(1000);
    const result = await versions.importDocument(owner, apiId, { kind: 'text', text, syntax: 'json' });
    expect(result.version.endpointCount).toBe(expected.length);
    const [{ count, bytes, largest }] = await dataSource.query<
      { count: string; bytes: string; largest: string }[]
    >(
      `SELECT count(*) AS count,
                sum(pg_column_size(parameters) + COALESCE(pg_column_size(request_body), 0) + pg_column_size(responses)) AS bytes,
                max(length(parameters::text) + COALESCE(length(request_body::text), 0) + length(responses::text)) AS largest
           FROM api_endpoints WHERE version_id = $1`,
      [result.version.id],
    );
    expect(Number(count)).toBe(expected.length);
    const [{ keys }] = await dataSource.query<{ keys: string[] }[]>(
      `SELECT array_agg(method || ' ' || path ORDER BY method || ' ' || path COLLATE "C") AS keys FROM api_endpoints WHERE version_id = $1`,
      [result.version.id],
    );
    expect(keys).toEqual([...expected].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    // bounded: every endpoint's stored JSON fits its budget (~1 MB at worst); the time is bounded by
    // the timeout below (~10 s on 2 idle cores; `npm run bench:import` measures it, docs/benchmarks.md)
    expect(Number(largest)).toBeLessThan(2_000_000);
    // ~6 MB stored (compressed) for ~15 MB of endpoint JSON
    expect(Number(bytes)).toBeLessThan(50_000_000);
    const truncated = await dataSource.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM api_endpoints WHERE version_id = $1 AND (responses::text LIKE $2 OR parameters::text LIKE $2 OR request_body::text LIKE $2)`,
      [result.version.id, `%${TRUNCATED_MARKER_KEY}%`],
    );
    expect(Number(truncated[0].n)).toBeLessThan(expected.length / 100);
  }, 180_000);
});
