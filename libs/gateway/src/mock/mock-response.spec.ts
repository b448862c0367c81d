import { OpenApiImporter } from '@app/catalog';
import { readOasExample } from '@app/catalog/testing';
import {
  buildMockResponse,
  MAX_MOCK_BODY_BYTES,
  MockResponseCache,
  selectMockVariant,
  type MockableEndpoint,
} from './mock-response';

/**
 * Real documents of @readme/oas-examples taken through the real import (validation, Swagger 2.0
 * conversion, dereferencing, bounded extraction): the mocks read exactly what the catalog stores.
 */
async function importedEndpoints(relative: string): Promise<MockableEndpoint[]> {
  const imported = await new OpenApiImporter().import({
    kind: 'text',
    text: readOasExample(relative),
    syntax: 'json',
  });
  return imported.endpoints;
}

function endpointOf(endpoints: MockableEndpoint[], method: string, path: string): MockableEndpoint {
  const found = endpoints.find((e) => e.method === method && e.path === path);
  if (!found) throw new Error(`${method} ${path} is not in the fixture`);
  return found;
}

function json(body: Buffer): unknown {
  return JSON.parse(body.toString('utf8'));
}

function endpoint(responses: Record<string, unknown>): MockableEndpoint {
  return { method: 'GET', path: '/x', responses };
}

const FALLBACK = { status: 200, contentType: 'application/json', source: 'fallback' };

describe('buildMockResponse', () => {
  let petstore3: MockableEndpoint[];
  let petstore2: MockableEndpoint[];
  let withExamples2: MockableEndpoint[];
  let responseExamples: MockableEndpoint[];
  let emptyExamples: MockableEndpoint[];
  let mediaTypes: MockableEndpoint[];
  let circular: MockableEndpoint[];

  beforeAll(async () => {
    [petstore3, petstore2, withExamples2, responseExamples, emptyExamples, mediaTypes, circular] =
      await Promise.all(
        [
          '3.0/json/petstore.json',
          '2.0/json/petstore.json',
          '2.0/json/api-with-examples.json',
          '3.0/json/response-examples.json',
          '3.0/json/response-empty-examples.json',
          '3.0/json/response-multiple-mediatypes.json',
          '3.0/json/circular.json',
        ].map(importedEndpoints),
      );
  });

  describe('petstore (OpenAPI 3.0): samples the schema', () => {
    it('answers JSON sampled from the schema, read-only properties left out, examples and enums used', () => {
      const mock = buildMockResponse(endpointOf(petstore3, 'GET', '/pet/{petId}'));
      expect(mock).toMatchObject({ status: 200, contentType: 'application/json', source: 'schema' });
      expect(mock.fallback).toBeUndefined();
      const pet = json(mock.body) as Record<string, unknown>;
      expect(pet).toMatchObject({
        name: 'doggie',
        photoUrls: ['https://example.com/photo.png'],
        status: 'available',
        category: { id: 0, name: 'string' },
      });
      expect(pet).not.toHaveProperty('id'); // readOnly: a response sample skips it (skipReadOnly)
    });

    it('answers XML when Accept asks for it, sampled as XML', () => {
      const mock = buildMockResponse(endpointOf(petstore3, 'GET', '/pet/{petId}'), 'application/xml');
      expect(mock.contentType).toBe('application/xml');
      const xml = mock.body.toString('utf8');
      expect(xml).toMatch(/^<Pet>/);
      expect(xml).toContain('<name>doggie</name>');
    });

    it('answers an array for a list operation', () => {
      const mock = buildMockResponse(endpointOf(petstore3, 'GET', '/pet/findByStatus'), 'application/json');
      expect(mock.status).toBe(200);
      expect(json(mock.body)).toEqual([expect.objectContaining({ name: 'doggie' })]);
    });

    it('answers 200 with no body for a `default` response without content', () => {
      expect(buildMockResponse(endpointOf(petstore3, 'GET', '/user/logout'))).toEqual({
        status: 200,
        contentType: null,
        body: Buffer.alloc(0),
        source: 'empty',
      });
    });
  });

  describe('petstore (Swagger 2.0, converted on import)', () => {
    it('prefers JSON over the XML the document lists first', () => {
      const mock = buildMockResponse(endpointOf(petstore2, 'GET', '/pet/findByTags'));
      expect(mock.contentType).toBe('application/json');
      expect(json(mock.body)).toEqual([expect.objectContaining({ name: 'doggie', status: 'available' })]);
    });

    it('answers 200 with an empty body when the operation documents no 2xx and no default', () => {
      const mock = buildMockResponse(endpointOf(petstore2, 'PUT', '/pet'));
      expect(mock).toMatchObject({ status: 200, contentType: null, source: 'empty' });
      expect(mock.body.length).toBe(0);
    });

    it('sends a string example that is JSON text as is (Swagger 2.0 examples keyed by mime type)', () => {
      const mock = buildMockResponse(endpointOf(withExamples2, 'GET', '/'));
      expect(mock).toMatchObject({ status: 200, contentType: 'application/json', source: 'examples' });
      const body = json(mock.body) as { versions: { id: string }[] };
      expect(body.versions.map((v) => v.id)).toEqual(['v2.0', 'v3.0']);
    });
  });

  describe('examples', () => {
    it('takes the media type example of the lowest 2xx', () => {
      const mock = buildMockResponse(endpointOf(responseExamples, 'GET', '/example'));
      expect(mock).toMatchObject({ status: 200, contentType: 'application/json', source: 'example' });
      expect(json(mock.body)).toEqual({ id: 12345, email: 'test@example.com', name: 'Test user name' });
    });

    it('takes the first of `examples` (its value) and the status it belongs to', () => {
      const mock = buildMockResponse(endpointOf(responseExamples, 'GET', '/examples'));
      expect(mock).toMatchObject({ status: 201, source: 'examples' });
      expect(json(mock.body)).toEqual({ user: { email: 'test@example.com', name: 'Test user name' } });
    });

    it('JSON-serialises a plain string example for a JSON media type', () => {
      const mock = buildMockResponse(endpointOf(emptyExamples, 'GET', '/examples'));
      expect(mock.body.toString('utf8')).toBe('""');
      expect(json(mock.body)).toBe('');
    });

    it('skips examples that only have an externalValue (nothing is fetched)', () => {
      const mock = buildMockResponse(
        endpoint({
          '200': {
            content: {
              'application/json': {
                examples: {
                  remote: { externalValue: 'http://169.254.169.254/latest' },
                  local: { value: { ok: 1 } },
                },
              },
            },
          },
        }),
      );
      expect(json(mock.body)).toEqual({ ok: 1 });
    });
  });

  describe('content negotiation', () => {
    const multi = (): MockableEndpoint => endpointOf(mediaTypes, 'POST', '/multiple-types-multiple-examples');

    it('picks the JSON-like media type without Accept, though text/plain is listed first', () => {
      const mock = buildMockResponse(multi());
      expect(mock.contentType).toBe('application/json');
      expect(json(mock.body)).toMatchObject({ name: 'Fluffy', petType: 'Cat' });
    });

    it('sends a text example as is for Accept: text/plain', () => {
      const mock = buildMockResponse(multi(), 'text/plain');
      expect(mock).toMatchObject({ contentType: 'text/plain', source: 'examples' });
      expect(mock.body.toString('utf8')).toBe('OK');
    });

    it('follows q-values and specificity, and prefers JSON on a tie', () => {
      expect(buildMockResponse(multi(), 'text/*;q=0.5, application/json;q=0.9').contentType).toBe(
        'application/json',
      );
      expect(buildMockResponse(multi(), 'application/json;q=0.1, text/*').contentType).toBe('text/plain');
      expect(buildMockResponse(multi(), 'application/json;q=0, */*').contentType).toBe('text/plain');
      expect(buildMockResponse(multi(), '*/*').contentType).toBe('application/json');
      expect(buildMockResponse(multi(), 'TEXT/PLAIN').contentType).toBe('text/plain');
    });

    it('answers JSON when Accept matches nothing the document offers (a mock does not 406)', () => {
      expect(buildMockResponse(multi(), 'image/png').contentType).toBe('application/json');
    });

    it('reads a comma-listed content key as its first media type', () => {
      const mock = buildMockResponse(endpointOf(responseExamples, 'GET', '/examples'), 'text/csv');
      // 201 is the lowest 2xx: its only media type is JSON
      expect(mock.contentType).toBe('application/json');
      const csv = buildMockResponse(
        endpoint({
          default: { content: { 'text/csv, text/comma-separated-values': { example: 'a,b\n1,2' } } },
        }),
      );
      expect(csv).toMatchObject({ status: 200, contentType: 'text/csv' });
      expect(csv.body.toString('utf8')).toBe('a,b\n1,2');
    });

    it('never uses a content key that is not a media type as Content-Type (header injection)', () => {
      const mock = buildMockResponse(
        endpoint({
          '200': {
            content: {
              'application/json\r\nX-Injected: 1': { example: { evil: true } },
              'application/problem+json; charset=utf-8': { example: { good: true } },
            },
          },
        }),
      );
      expect(mock.contentType).toBe('application/problem+json; charset=utf-8');
      expect(json(mock.body)).toEqual({ good: true });
    });

    it('makes a range content key concrete', () => {
      const anything = buildMockResponse(endpoint({ '200': { content: { '*/*': { example: { a: 1 } } } } }));
      expect(anything.contentType).toBe('application/json');
      const text = buildMockResponse(endpoint({ '200': { content: { 'text/*': { example: 'hi' } } } }));
      expect(text.contentType).toBe('text/plain; charset=utf-8');
    });
  });

  describe('status', () => {
    it('picks the lowest explicit 2xx, then 2XX, then default', () => {
      const content = (n: number) => ({ content: { 'application/json': { example: { n } } } });
      expect(
        buildMockResponse(endpoint({ default: content(0), '202': content(202), '201': content(201) })).status,
      ).toBe(201);
      const range = buildMockResponse(
        endpoint({ default: content(0), '2XX': content(2), '404': content(404) }),
      );
      expect([range.status, json(range.body)]).toEqual([200, { n: 2 }]);
      const fallback = buildMockResponse(endpoint({ default: content(0), '302': content(302) }));
      expect([fallback.status, json(fallback.body)]).toEqual([200, { n: 0 }]);
    });

    it('never sends a body with 204, even when the document gives one', () => {
      const mock = buildMockResponse(
        endpoint({ '204': { content: { 'application/json': { example: { a: 1 } } } } }),
      );
      expect(mock).toMatchObject({ status: 204, contentType: null, source: 'empty' });
      expect(mock.body.length).toBe(0);
    });
  });

  describe('odd and hostile stored documents', () => {
    it('samples around a circular $ref the import left in place', () => {
      // circular.json's stored 404 has `schema: {$ref: "#/components/schemas/ErrorMessage"}`
      const stored = endpointOf(circular, 'GET', '/anything').responses['404'] as Record<string, unknown>;
      expect(JSON.stringify(stored)).toContain('"$ref"');
      const mock = buildMockResponse(
        endpoint({
          '200': {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    name: { type: 'string' },
                    error: (stored.content as Record<string, { schema: unknown }>)['application/json'].schema,
                  },
                },
              },
            },
          },
        }),
      );
      expect(mock).toMatchObject({ status: 200, source: 'schema' });
      expect(json(mock.body)).toMatchObject({ name: 'string' });
    });

    it('samples a schema that is an in-memory cycle', () => {
      const node: Record<string, unknown> = { type: 'object', properties: { id: { type: 'integer' } } };
      (node.properties as Record<string, unknown>).child = node;
      const mock = buildMockResponse(
        endpoint({ '200': { content: { 'application/json': { schema: node } } } }),
      );
      expect(mock.source).toBe('schema');
      expect(json(mock.body)).toMatchObject({ id: 0 });
    });

    it('ignores truncation markers of the bounded import copy', () => {
      const mock = buildMockResponse(
        endpoint({
          '200': {
            content: {
              'application/json': {
                example: { 'x-portico-truncated': 'size' },
                schema: {
                  type: 'object',
                  properties: { a: { 'x-portico-truncated': 'depth' }, b: { type: 'boolean' } },
                },
              },
            },
          },
        }),
      );
      expect(mock.source).toBe('schema');
      expect(json(mock.body)).toMatchObject({ b: true });
    });

    it('clamps a huge minItems instead of building a giant array', () => {
      const mock = buildMockResponse(
        endpoint({
          '200': {
            content: {
              'application/json': {
                schema: { type: 'array', minItems: 1_000_000_000, items: { type: 'integer' } },
              },
            },
          },
        }),
      );
      expect(mock.source).toBe('schema');
      expect((json(mock.body) as unknown[]).length).toBeLessThanOrEqual(3);
    });

    it('refuses a schema whose sample would explode, without sampling it', () => {
      // 2 entries per map, 10 maps deep, 2,000 properties at the bottom: ~2 million values
      const wide = {
        type: 'object',
        properties: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`p${i}`, { type: 'string' }])),
      };
      let schema: Record<string, unknown> = wide;
      for (let i = 0; i < 10; i++) schema = { type: 'object', additionalProperties: schema };
      const mock = buildMockResponse(endpoint({ '200': { content: { 'application/json': { schema } } } }));
      expect(mock).toMatchObject({ ...FALLBACK, fallback: 'too_large' });
      expect(json(mock.body)).toEqual({});
    });

    it('answers the fallback for an example over 256 KiB', () => {
      const big = { items: Array.from({ length: 3000 }, () => 'x'.repeat(100)) };
      expect(JSON.stringify(big).length).toBeGreaterThan(MAX_MOCK_BODY_BYTES);
      const mock = buildMockResponse(
        endpoint({ '200': { content: { 'application/json': { example: big } } } }),
      );
      expect(mock).toMatchObject({ ...FALLBACK, fallback: 'too_large' });
    });

    it('answers the fallback for an example that cannot be serialised', () => {
      const loop: Record<string, unknown> = {};
      loop.self = loop;
      const mock = buildMockResponse(
        endpoint({ '200': { content: { 'application/json': { example: loop } } } }),
      );
      expect(mock).toMatchObject({ ...FALLBACK, fallback: 'unusable' });
      expect(mock.body.toString()).toBe('{}');
    });

    it.each([
      ['responses that are not an object', null],
      ['a response that is a string', { '200': 'OK' }],
      ['content that is an array', { '200': { content: ['application/json'] } }],
      ['a media type object that is null', { '200': { content: { 'application/json': null } } }],
      ['a schema of the wrong type', { '200': { content: { 'application/json': { schema: 'string' } } } }],
      ['examples that are an array', { '200': { content: { 'application/json': { examples: [1, 2] } } } }],
      ['a response that is a truncation marker', { '200': { 'x-portico-truncated': 'size' } }],
    ])('never throws on %s', (_name, responses) => {
      const mock = buildMockResponse(endpoint(responses as Record<string, unknown>));
      expect(mock.status).toBe(200);
      expect(Buffer.isBuffer(mock.body)).toBe(true);
    });

    it('answers JSON null for a JSON media type whose schema samples to nothing', () => {
      const mock = buildMockResponse(
        endpoint({ '200': { content: { 'application/json': { schema: {} } } } }),
      );
      expect(mock.body.toString()).toBe('null');
    });
  });
});

describe('selectMockVariant', () => {
  it('names the response and media type a call gets, without building the body', () => {
    const responses = {
      '200': { content: { 'application/xml': { example: '<a/>' }, 'application/json': { example: {} } } },
    };
    expect(selectMockVariant(endpoint(responses))).toEqual({
      status: 200,
      statusKey: '200',
      mediaTypeKey: 'application/json',
    });
    expect(selectMockVariant(endpoint(responses), 'application/xml').mediaTypeKey).toBe('application/xml');
    expect(selectMockVariant(endpoint({}))).toEqual({ status: 200, statusKey: null, mediaTypeKey: null });
  });
});

describe('MockResponseCache', () => {
  const responses = {
    '200': {
      content: {
        'text/plain': { example: 'hello' },
        'application/json': { schema: { type: 'object', properties: { a: { type: 'integer' } } } },
      },
    },
  };

  it('builds a mock once per endpoint and media type, whatever the Accept spelling', () => {
    const cache = new MockResponseCache();
    const first = cache.get('ep-1', endpoint(responses));
    expect(cache.get('ep-1', endpoint(responses), 'application/json')).toBe(first);
    expect(cache.get('ep-1', endpoint(responses), 'application/json;q=0.9, text/plain;q=0.1')).toBe(first);
    const text = cache.get('ep-1', endpoint(responses), 'text/plain');
    expect(text).not.toBe(first);
    expect(text.body.toString()).toBe('hello');
    expect(cache.get('ep-2', endpoint(responses))).not.toBe(first);
    expect(cache.size).toBe(3);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('keeps at most maxEntries mocks', () => {
    const cache = new MockResponseCache(2);
    for (let i = 0; i < 5; i++) cache.get(`ep-${i}`, endpoint(responses));
    expect(cache.size).toBe(2);
  });
});
