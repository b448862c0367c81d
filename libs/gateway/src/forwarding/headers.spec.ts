import { AppError } from '@app/common';
import {
  applyQueryCredential,
  buildUpstreamRequestHeaders,
  filterResponseHeaders,
  type ForwardContext,
} from './headers';

const ctx = (over: Partial<ForwardContext> = {}): ForwardContext => ({
  forwardedFor: '203.0.113.7',
  proto: 'https',
  upstreamHost: 'api.provider.example:8443',
  proxySecret: 'psec_123',
  userId: 'user-1',
  subscriptionId: 'sub-1',
  planId: 'plan-1',
  requestId: 'req-1',
  ...over,
});

/** Flat [name, value, …] → lower-cased name → values, to assert on. */
function byName(flat: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i < flat.length; i += 2) (out[flat[i].toLowerCase()] ??= []).push(flat[i + 1]);
  return out;
}

describe('buildUpstreamRequestHeaders', () => {
  it('strips every hop-by-hop header and each one named in Connection', () => {
    const headers = byName(
      buildUpstreamRequestHeaders(
        [
          'Connection',
          'keep-alive, X-Secret-Hop, Upgrade',
          'Keep-Alive',
          'timeout=5',
          'Proxy-Connection',
          'keep-alive',
          'TE',
          'trailers',
          'Trailer',
          'X-Checksum',
          'Transfer-Encoding',
          'chunked',
          'Upgrade',
          'websocket',
          'Proxy-Authorization',
          'Basic Zm9vOmJhcg==',
          'Proxy-Authenticate',
          'Basic',
          'X-Secret-Hop',
          'do not forward',
          'connection',
          'x-second-list',
          'X-Second-List',
          'nope',
          'Accept',
          'application/json',
        ],
        ctx(),
      ),
    );
    for (const name of [
      'connection',
      'keep-alive',
      'proxy-connection',
      'te',
      'trailer',
      'transfer-encoding',
      'upgrade',
      'proxy-authorization',
      'proxy-authenticate',
      'x-secret-hop',
      'x-second-list',
    ]) {
      expect(headers[name]).toBeUndefined();
    }
    expect(headers.accept).toEqual(['application/json']);
  });

  it("strips the consumer's key and any incoming X-Portico-* header, then sets the gateway's own", () => {
    const headers = byName(
      buildUpstreamRequestHeaders(
        [
          'X-Portico-Key',
          'mp_live_abc',
          'x-portico-user',
          'admin',
          'X-PORTICO-PROXY-SECRET',
          'forged',
          'X-Portico-Anything',
          '1',
          'X-Portico-Plan',
          'enterprise',
        ],
        ctx(),
      ),
    );
    expect(headers['x-portico-key']).toBeUndefined();
    expect(headers['x-portico-anything']).toBeUndefined();
    expect(headers['x-portico-user']).toEqual(['user-1']);
    expect(headers['x-portico-proxy-secret']).toEqual(['psec_123']);
    expect(headers['x-portico-subscription']).toEqual(['sub-1']);
    expect(headers['x-portico-plan']).toEqual(['plan-1']);
    expect(headers['x-portico-request-id']).toEqual(['req-1']);
  });

  it('sets X-Forwarded-For from the socket only and never trusts forwarding headers from the client', () => {
    const headers = byName(
      buildUpstreamRequestHeaders(
        [
          'X-Forwarded-For',
          '10.0.0.1, 127.0.0.1',
          'X-Forwarded-Proto',
          'http',
          'X-Forwarded-Host',
          'evil.example',
          'Forwarded',
          'for=10.0.0.1',
          'X-Real-IP',
          '10.0.0.1',
          'Host',
          'gateway.portico.example',
        ],
        ctx(),
      ),
    );
    expect(headers['x-forwarded-for']).toEqual(['203.0.113.7']);
    expect(headers['x-forwarded-proto']).toEqual(['https']);
    expect(headers['x-forwarded-host']).toEqual(['gateway.portico.example']);
    expect(headers.forwarded).toBeUndefined();
    expect(headers['x-real-ip']).toBeUndefined();
  });

  it("sends the upstream's own Host, replacing the consumer's", () => {
    const headers = byName(
      buildUpstreamRequestHeaders(['Host', 'gateway.portico.example', 'hOsT', 'second'], ctx()),
    );
    expect(headers.host).toEqual(['api.provider.example:8443']);
  });

  it('leaves X-Forwarded-Host out when the consumer sent no valid Host', () => {
    expect(byName(buildUpstreamRequestHeaders(['Host', 'a b'], ctx()))['x-forwarded-host']).toBeUndefined();
    expect(
      byName(buildUpstreamRequestHeaders([], ctx({ forwardedFor: undefined })))['x-forwarded-for'],
    ).toBeUndefined();
  });

  it('drops Expect (the gateway answers 100-continue itself)', () => {
    expect(byName(buildUpstreamRequestHeaders(['Expect', '100-continue'], ctx())).expect).toBeUndefined();
  });

  it("injects a header credential, replacing the consumer's same-named header whatever its case", () => {
    const flat = buildUpstreamRequestHeaders(
      ['x-api-key', 'consumer-guess', 'X-API-KEY', 'again', 'Authorization', 'Bearer consumer'],
      ctx({ credential: { in: 'header', name: 'X-Api-Key', value: 'provider-secret' } }),
    );
    const headers = byName(flat);
    expect(headers['x-api-key']).toEqual(['provider-secret']);
    expect(headers.authorization).toEqual(['Bearer consumer']);
    expect(flat).toContain('X-Api-Key');
  });

  it('keeps end-to-end headers in order, duplicates and case included', () => {
    const flat = buildUpstreamRequestHeaders(
      [
        'Accept',
        'a',
        'X-Custom',
        '1',
        'x-custom',
        '2',
        'Content-Type',
        'application/octet-stream',
        'Content-Length',
        '12',
      ],
      ctx(),
    );
    expect(flat.slice(0, 10)).toEqual([
      'Accept',
      'a',
      'X-Custom',
      '1',
      'x-custom',
      '2',
      'Content-Type',
      'application/octet-stream',
      'Content-Length',
      '12',
    ]);
  });

  it.each([
    ['X-Evil', 'a\r\nX-Injected: 1'],
    ['X-Evil', 'a\nb'],
    ['X-Evil', 'a\0b'],
    ['X-Evil\r\nX', 'a'],
  ])('rejects an incoming header %j with CR/LF/NUL with 400 validation_failed', (name, value) => {
    expect(() => buildUpstreamRequestHeaders([name, value], ctx())).toThrow(AppError);
  });

  it('never sends an injected value with CR/LF', () => {
    expect(() => buildUpstreamRequestHeaders([], ctx({ requestId: 'r\r\nX-Injected: 1' }))).toThrow(
      TypeError,
    );
    expect(() =>
      buildUpstreamRequestHeaders([], ctx({ credential: { in: 'header', name: 'X-Key', value: 'v\nX: 1' } })),
    ).toThrow(TypeError);
    expect(() =>
      buildUpstreamRequestHeaders([], ctx({ credential: { in: 'header', name: 'Bad Name', value: 'v' } })),
    ).toThrow(TypeError);
  });
});

describe('applyQueryCredential', () => {
  const credential = { in: 'query' as const, name: 'api_key', value: 'prov secret&=' };

  it('replaces any same-named parameter and keeps the rest byte for byte', () => {
    expect(applyQueryCredential('a=1&api_key=guess&b=%2F%2e&api%5Fkey=again&c', credential)).toBe(
      'a=1&b=%2F%2e&c&api_key=prov%20secret%26%3D',
    );
  });

  it('adds the parameter to an empty or missing query', () => {
    expect(applyQueryCredential(null, credential)).toBe('api_key=prov%20secret%26%3D');
    expect(applyQueryCredential('', credential)).toBe('api_key=prov%20secret%26%3D');
  });

  it('keeps a parameter whose name only looks similar', () => {
    expect(applyQueryCredential('API_KEY=x&api_keys=y&%zz=1', credential)).toBe(
      'API_KEY=x&api_keys=y&%zz=1&api_key=prov%20secret%26%3D',
    );
  });
});

/** undici's raw form of response headers: [name, value, …] buffers. */
const raw = (...pairs: Array<[string, string]>): Buffer[] =>
  pairs.flatMap(([name, value]) => [Buffer.from(name, 'latin1'), Buffer.from(value, 'latin1')]);

describe('filterResponseHeaders', () => {
  it('drops hop-by-hop headers, those named in Connection, cookies, Alt-Svc and X-Portico-*', () => {
    const result = filterResponseHeaders(
      raw(
        ['Connection', 'close, X-Hop'],
        ['Keep-Alive', 'timeout=5'],
        ['Transfer-Encoding', 'chunked'],
        ['Upgrade', 'h2c'],
        ['Trailer', 'x'],
        ['Proxy-Authenticate', 'Basic'],
        ['X-Hop', '1'],
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
        ['Set-Cookie2', 'c=3'],
        ['Alt-Svc', 'h3=":443"'],
        ['X-Portico-Generated', 'true'],
        ['x-portico-request-id', 'forged'],
        ['Content-Type', 'application/json'],
        ['Content-Length', '2'],
        ['ETag', '"x"'],
        ['Cache-Control', 'no-store'],
      ),
    );
    expect(result.headers).toEqual([
      'content-type',
      'application/json',
      'content-length',
      '2',
      'etag',
      '"x"',
      'cache-control',
      'no-store',
    ]);
    expect(result.contentLength).toBe(2);
    expect(result.closes).toBe(true);
  });

  it('keeps duplicates and their order, and a Connection naming only hop-by-hop fields filters nothing else', () => {
    const result = filterResponseHeaders(
      raw(['Vary', 'Accept'], ['Connection', 'keep-alive'], ['X-Custom', 'a'], ['vary', 'Origin']),
    );
    expect(result.headers).toEqual(['vary', 'Accept', 'x-custom', 'a', 'vary', 'Origin']);
    expect(result.closes).toBe(false);
    expect(result.contentLength).toBeUndefined();
  });

  it.each([
    ['Connection: close', ['close'], true],
    ['close among other tokens', ['Keep-Alive, CLOSE'], true],
    ['two Connection headers', ['keep-alive', 'close'], true],
    ['a token that only contains "close"', ['closed, x-close'], false],
  ])('tells whether the upstream closes after the response: %s', (_case, values, closes) => {
    const result = filterResponseHeaders(
      raw(...values.map((value): [string, string] => ['Connection', value])),
    );
    expect(result.closes).toBe(closes);
  });

  it.each([
    ['3', 3],
    [' 12 ', 12],
    ['0', 0],
    ['1000000', 1_000_000],
    ['1000001', null],
    ['-1', null],
    ['2.5', null],
    ['abc', null],
    ['', null],
  ])('reads X-Portico-Billing-Units %j as %j and strips it', (value, expected) => {
    const result = filterResponseHeaders(
      raw(['X-Portico-Billing-Units', value], ['Content-Type', 'text/plain']),
    );
    expect(result.billingUnits).toBe(expected);
    expect(result.headers).toEqual(['content-type', 'text/plain']);
  });

  it('reads the first of several X-Portico-Billing-Units', () => {
    const result = filterResponseHeaders(
      raw(['x-portico-billing-units', '5'], ['x-portico-billing-units', '7']),
    );
    expect(result.billingUnits).toBe(5);
    expect(result.headers).toEqual([]);
  });

  it('answers null billing units when the upstream sends none', () => {
    expect(filterResponseHeaders([]).billingUnits).toBeNull();
  });
});
