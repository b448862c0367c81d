import { OpenApiImporter, type ImportedDocument } from '@app/catalog';
import { DEMO_APIS, slugify, type DemoApi } from './apis';
import { createDemoUpstream, proxySecretMatches, type DemoUpstream } from './demo-upstream';

/** The subset of JSON Schema the demo documents use, enough to check answers against their documents. */
function schemaErrors(schema: Record<string, unknown>, value: unknown, at = ''): string[] {
  const errors: string[] = [];
  const type = schema.type as string | undefined;
  const typeOk =
    type === undefined ||
    (type === 'object' && typeof value === 'object' && value !== null && !Array.isArray(value)) ||
    (type === 'array' && Array.isArray(value)) ||
    (type === 'string' && typeof value === 'string') ||
    (type === 'number' && typeof value === 'number' && Number.isFinite(value)) ||
    (type === 'integer' && Number.isInteger(value)) ||
    (type === 'boolean' && typeof value === 'boolean');
  if (!typeOk) return [`${at || '/'}: expected ${type}, got ${JSON.stringify(value)}`];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    errors.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${at}: below minimum`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${at}: above maximum`);
  }
  if (type === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? []) {
      if (!(key in object)) errors.push(`${at}/${key}: required`);
    }
    const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
    for (const [key, item] of Object.entries(object)) {
      const sub = properties[key] ?? (schema.additionalProperties as Record<string, unknown> | undefined);
      if (sub && typeof sub === 'object') errors.push(...schemaErrors(sub, item, `${at}/${key}`));
    }
  }
  if (type === 'array') {
    (value as unknown[]).forEach((item, i) =>
      errors.push(...schemaErrors(schema.items as Record<string, unknown>, item, `${at}/${i}`)),
    );
  }
  return errors;
}

interface Call {
  api: DemoApi;
  method: 'GET' | 'POST';
  path: string;
  query?: string;
  body?: unknown;
  status: number;
}

const [weather, fx, text] = DEMO_APIS;
const CALLS: Call[] = [
  { api: weather, method: 'GET', path: '/current', query: 'city=Lisbon', status: 200 },
  { api: weather, method: 'GET', path: '/current', query: 'city=S%C3%A3o%20Paulo', status: 200 },
  { api: weather, method: 'GET', path: '/current', status: 400 },
  { api: weather, method: 'GET', path: '/current', query: 'city=%3Cscript%3E', status: 400 },
  { api: weather, method: 'GET', path: '/forecast', query: 'city=Oslo&days=7', status: 200 },
  { api: weather, method: 'GET', path: '/forecast', query: 'city=Oslo', status: 200 },
  { api: weather, method: 'GET', path: '/forecast', query: 'city=Oslo&days=8', status: 400 },
  { api: fx, method: 'GET', path: '/latest', status: 200 },
  { api: fx, method: 'GET', path: '/latest', query: 'base=eur', status: 200 },
  { api: fx, method: 'GET', path: '/latest', query: 'base=XXX', status: 400 },
  { api: fx, method: 'GET', path: '/convert', query: 'from=USD&to=JPY&amount=19.99', status: 200 },
  { api: fx, method: 'GET', path: '/convert', query: 'from=USD&to=JPY&amount=-1', status: 400 },
  { api: fx, method: 'GET', path: '/convert', query: 'from=USD&amount=1', status: 400 },
  { api: text, method: 'POST', path: '/slugify', body: { text: 'Hello, Wörld! Portico' }, status: 200 },
  { api: text, method: 'POST', path: '/slugify', body: { words: 'x' }, status: 400 },
  { api: text, method: 'POST', path: '/stats', body: { text: 'One sentence. Two words! ' }, status: 200 },
  { api: text, method: 'POST', path: '/stats', body: [1, 2], status: 400 },
];

describe('apps/demo-upstream', () => {
  let upstream: DemoUpstream;
  let base: string;
  const imported = new Map<string, ImportedDocument>();

  beforeAll(async () => {
    upstream = createDemoUpstream();
    base = `http://127.0.0.1:${await upstream.listen(0)}`;
    const importer = new OpenApiImporter();
    for (const api of DEMO_APIS)
      imported.set(api.base, await importer.import({ kind: 'object', value: api.document }));
  });
  afterAll(() => upstream.close());

  const call = (c: Omit<Call, 'status'>, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${base}/${c.api.base}${c.path}${c.query ? `?${c.query}` : ''}`, {
      method: c.method,
      headers: c.body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: c.body === undefined ? undefined : JSON.stringify(c.body),
    });

  it('each document imports cleanly with the catalog importer (OpenAPI 3.1, no warnings) and is served at /<api>/openapi.json', async () => {
    for (const api of DEMO_APIS) {
      const result = imported.get(api.base)!;
      expect(result.sourceFormat).toBe('openapi-3.1');
      expect(result.warnings).toEqual([]);
      expect(result.endpoints.length).toBe(2);
      const served = await fetch(`${base}/${api.base}/openapi.json`);
      expect(served.status).toBe(200);
      expect(await served.json()).toEqual(api.document);
    }
  });

  it('every documented operation is exercised below, and nothing else answers', () => {
    const documented = DEMO_APIS.flatMap((api) =>
      imported.get(api.base)!.endpoints.map((e) => `${api.base} ${e.method} ${e.path}`),
    );
    const called = new Set(CALLS.map((c) => `${c.api.base} ${c.method} ${c.path}`));
    expect([...called].sort()).toEqual(documented.sort());
  });

  it.each(
    CALLS.map(
      (c) => [`${c.method} /${c.api.base}${c.path}${c.query ? `?${c.query}` : ''} → ${c.status}`, c] as const,
    ),
  )('%s, with a body matching the documented response schema', async (_name, c) => {
    const response = await call(c);
    expect(response.status).toBe(c.status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const endpoint = imported
      .get(c.api.base)!
      .endpoints.find((e) => e.method === c.method && e.path === c.path)!;
    const documented = (
      endpoint.responses[String(c.status)] as { content: Record<string, { schema: Record<string, unknown> }> }
    ).content['application/json'].schema;
    expect(schemaErrors(documented, await response.json())).toEqual([]);
  });

  it('answers deterministically: the same city gives the same weather, conversions use the rates', async () => {
    const first = (await (
      await call({ api: weather, method: 'GET', path: '/forecast', query: 'city=Lisbon&days=3' })
    ).json()) as Record<string, unknown>;
    const again = await (
      await call({ api: weather, method: 'GET', path: '/forecast', query: 'city=lisbon&days=3' })
    ).json();
    expect(again).toEqual({ ...first, city: 'lisbon' });
    const convert = await (
      await call({ api: fx, method: 'GET', path: '/convert', query: 'from=EUR&to=EUR&amount=12.5' })
    ).json();
    expect(convert).toMatchObject({ rate: 1, result: 12.5 });
    expect(slugify('  Ça va? Très bien -- merci!  ')).toBe('ca-va-tres-bien-merci');
  });

  it('answers /health, 404 for unknown paths, 415 for a non-JSON body', async () => {
    expect(await (await fetch(`${base}/health`)).json()).toEqual({
      status: 'ok',
      apis: ['weather', 'fx', 'text'],
    });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/weather/current/extra?city=Oslo`)).status).toBe(404);
    const plain = await fetch(`${base}/text/slugify`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(plain.status).toBe(415);
  });

  it('says whether X-Portico-Proxy-Secret was present (X-Demo-Verified)', async () => {
    const c = { api: weather, method: 'GET', path: '/current', query: 'city=Rome' } as const;
    expect((await call(c)).headers.get('x-demo-verified')).toBe('false');
    expect((await call(c, { 'X-Portico-Proxy-Secret': 'anything' })).headers.get('x-demo-verified')).toBe(
      'true',
    );
  });

  it('with DEMO_PROXY_SECRET set, verifies the secret in constant time and refuses calls without it', async () => {
    const secret = 'a-demo-proxy-secret-0123456789';
    const guarded = createDemoUpstream({ proxySecret: secret });
    const url = `http://127.0.0.1:${await guarded.listen(0)}/fx/latest`;
    try {
      const ok = await fetch(url, { headers: { 'X-Portico-Proxy-Secret': secret } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-demo-verified')).toBe('true');
      const wrong = await fetch(url, { headers: { 'X-Portico-Proxy-Secret': `${secret}x` } });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('x-demo-verified')).toBe('false');
      expect((await fetch(url)).status).toBe(401);
      // documents and health stay open, so the seed and the catalog can read them
      expect((await fetch(url.replace('/latest', '/openapi.json'))).status).toBe(200);
    } finally {
      await guarded.close();
    }
    expect(proxySecretMatches(secret, secret)).toBe(true);
    expect(proxySecretMatches(secret.slice(0, 5), secret)).toBe(false);
    expect(proxySecretMatches(undefined, secret)).toBe(false);
  });
});
