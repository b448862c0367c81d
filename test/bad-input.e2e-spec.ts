import { ERROR_CODES } from '@app/common';
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { ParameterObject, ReferenceObject, RequestBodyObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { buildOpenApiDocument } from '../apps/api/src/openapi';
import { signUp, startApi, type SignedUp } from './support/api-client';

/**
 * Hostile input against every route of the api, derived from its OpenAPI document, so a new route
 * is covered the day it is added: malformed JSON, unknown properties, wrong types, oversize
 * strings and junk path/query parameters must all answer 4xx in the problem shape, never 5xx.
 */
interface Case {
  name: string;
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  raw?: string;
  /** Browser routes (OAuth callbacks) answer bad input with a documented redirect instead. */
  redirects: string[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const HUGE = 'x'.repeat(100_000);
/** Query strings stay under Node's 16 KiB header limit, past which Node itself answers 431 before any app code. */
const LONG_QUERY = 'x'.repeat(4_000);

function resolve(doc: OpenAPIObject, schema: SchemaObject | ReferenceObject | undefined): SchemaObject | undefined {
  if (!schema) return undefined;
  if ('$ref' in schema) return doc.components?.schemas?.[schema.$ref.split('/').pop()!] as SchemaObject | undefined;
  return schema;
}

function wrongValue(schema: SchemaObject | undefined): unknown {
  switch (schema?.type) {
    case 'string':
      return 12345;
    case 'number':
    case 'integer':
      return 'not a number';
    case 'boolean':
      return 'not a boolean';
    case 'array':
      return 'not an array';
    default:
      return ['not', 'an', 'object'];
  }
}

function casesFor(doc: OpenAPIObject): Case[] {
  const cases: Case[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = (op.parameters ?? []) as ParameterObject[];
      const concrete = template.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
      const label = `${method.toUpperCase()} ${template}`;
      const redirects = Object.keys(op.responses ?? {}).filter((status) => status.startsWith('3'));
      for (const param of params.filter((p) => p.in === 'path')) {
        for (const junk of ['not-a-uuid', 'x'.repeat(5000), '..%2F..%2Fetc']) {
          cases.push({ name: `${label} path ${param.name}=${junk.slice(0, 12)}`, method, redirects, path: template.replace(`{${param.name}}`, junk).replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000') });
        }
      }
      for (const param of params.filter((p) => p.in === 'query')) {
        const schema = resolve(doc, param.schema);
        cases.push({ name: `${label} query ${param.name} wrong type`, method, redirects, path: concrete, query: { [param.name]: schema?.type === 'string' ? LONG_QUERY : 'not-a-number' } });
      }
      const body = op.requestBody as RequestBodyObject | undefined;
      const schema = resolve(doc, body?.content?.['application/json']?.schema);
      if (!schema) continue;
      cases.push({ name: `${label} malformed JSON`, method, redirects, path: concrete, raw: '{"a": 1,' });
      cases.push({ name: `${label} JSON array body`, method, redirects, path: concrete, body: [1, 2, 3] });
      cases.push({ name: `${label} unknown property`, method, redirects, path: concrete, body: { unexpectedProperty: 'x', ownerId: '00000000-0000-4000-8000-000000000000' } });
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        const propSchema = resolve(doc, property);
        cases.push({ name: `${label} ${name} wrong type`, method, redirects, path: concrete, body: { [name]: wrongValue(propSchema) } });
        if (propSchema?.type === 'string') cases.push({ name: `${label} ${name} oversize`, method, redirects, path: concrete, body: { [name]: HUGE } });
        if (propSchema?.type === 'array') cases.push({ name: `${label} ${name} oversize array`, method, redirects, path: concrete, body: { [name]: Array.from({ length: 1000 }, () => 'x'.repeat(300)) } });
      }
    }
  }
  return cases;
}

describe('bad input on every route', () => {
  let app: INestApplication;
  let user: SignedUp;
  let cases: Case[];

  beforeAll(async () => {
    app = await startApi();
    user = await signUp(app, 'fuzz');
    cases = casesFor(buildOpenApiDocument(app));
  });

  afterAll(async () => {
    await app.close();
  });

  it('derives cases for the routes that take input', () => {
    expect(cases.length).toBeGreaterThan(20);
    expect(cases.some((c) => c.path === '/v1/auth/signup')).toBe(true);
  });

  it('answers every hostile request with a 4xx problem document, never a 5xx', async () => {
    const failures: string[] = [];
    for (const c of cases) {
      let req = user.agent[c.method as 'get'](c.path).set('X-CSRF-Token', user.csrfToken);
      if (c.query) req = req.query(c.query);
      if (c.raw !== undefined) req = req.set('Content-Type', 'application/json').send(c.raw);
      else if (c.body !== undefined) req = req.send(c.body as object);
      const res = await req;
      const problem = res.body as { code?: string; requestId?: string; status?: number };
      const redirected = c.redirects.includes(String(res.status));
      const ok =
        redirected ||
        (res.status >= 400 &&
        res.status < 500 &&
        String(res.headers['content-type']).startsWith('application/problem+json') &&
        problem.code !== undefined &&
        problem.code in ERROR_CODES &&
        problem.status === res.status &&
        typeof problem.requestId === 'string');
      if (!ok) failures.push(`${c.name}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
  });
});
