import { AppError } from '@app/common';
import { resolveUpstreamPath, splitGatewayTarget } from './path';

/** [raw target after the slug, base path, expected upstream target] */
const NORMALISED: Array<[string, string, string]> = [
  ['', '/v1', '/v1'],
  ['', '', '/'],
  ['/', '/v1', '/v1/'],
  ['/users/42', '/v1', '/v1/users/42'],
  ['/users/42/', '/v1/', '/v1/users/42/'],
  ['/users/42', '', '/users/42'],
  ['/users/42', '/', '/users/42'],
  ['?q=1', '/v1', '/v1?q=1'],
  ['/search?q=a%20b&x=%2F..%2F&&y=%E2%82%AC', '/v1', '/v1/search?q=a%20b&x=%2F..%2F&&y=%E2%82%AC'],
  ['/search?', '/v1', '/v1/search?'],
  ['/a?b?c=/../d', '/v1', '/v1/a?b?c=/../d'],
  // dot segments, raw and encoded, clamped at the mount
  ['/..', '/v1', '/v1/'],
  ['/../admin', '/v1', '/v1/admin'],
  ['/../../../../etc/passwd', '/v1', '/v1/etc/passwd'],
  ['/a/b/../../../c', '/v1', '/v1/c'],
  ['/a/./b', '/v1', '/v1/a/b'],
  ['/a/.', '/v1', '/v1/a/'],
  ['/a/..', '/v1', '/v1/'],
  ['/%2e%2e/admin', '/v1', '/v1/admin'],
  ['/%2E%2E/%2e%2E/secret', '/api/v2', '/api/v2/secret'],
  ['/.%2E/x', '/v1', '/v1/x'],
  ['/%2e./x', '/v1', '/v1/x'],
  ['/a/%2e/b', '/v1', '/v1/a/b'],
  ['/...', '/v1', '/v1/...'],
  ['/..a/b', '/v1', '/v1/..a/b'],
  ['/a..', '/v1', '/v1/a..'],
  // //host and repeated slashes collapse
  ['//evil.example/x', '/v1', '/v1/evil.example/x'],
  ['///evil.example', '', '/evil.example'],
  ['/a//b///c', '/v1', '/v1/a/b/c'],
  ['/http://evil.example/x', '/v1', '/v1/http:/evil.example/x'],
  // percent-encoding is canonicalised (hex upper-case), other bytes encoded
  ['/caf%c3%a9', '/v1', '/v1/caf%C3%A9'],
  ['/caf\u00c3\u00a9', '/v1', '/v1/caf%C3%A9'],
  ['/a~b-c_d.e', '/v1', '/v1/a~b-c_d.e'],
  ['/a%2520b', '/v1', '/v1/a%2520b'],
  ['/tilde/%7E', '/v1', '/v1/tilde/%7E'],
  ["/sub-delims!$&'()*+,;=:@", '/v1', "/v1/sub-delims!$&'()*+,;=:@"],
];

/** [raw target, what the rejection is about] */
const REJECTED: Array<[string, RegExp]> = [
  ['http://evil.example/x', /absolute-form/],
  ['evil.example:443', /absolute-form/],
  ['*', /absolute-form/],
  ['/a\\..\\..\\b', /backslash/],
  ['/a%5c..%5C..%5cb', /encoded backslash/],
  ['/a%2f..%2f..%2fb', /encoded slash/],
  ['/a%2F..', /encoded slash/],
  ['/a%00b', /encoded control/],
  ['/a%0d%0aX-Injected:%201', /encoded control/],
  ['/a%0Ab', /encoded control/],
  ['/a%7f', /encoded control/],
  ['/a\u0000b', /control character/],
  ['/a\r\nX-Injected: 1', /control character/],
  ['/a\tb', /control character/],
  ['/a b', /space/],
  ['/a#frag', /fragment/],
  ['/a?x=1\r\nHost: evil', /query string/],
  ['/a?x=1#frag', /query string/],
  ['/%zz', /malformed percent/],
  ['/%4', /malformed percent/],
  ['/a%', /malformed percent/],
  ['/%252e%252e/admin', /double percent/],
  ['/%252F', /double percent/],
  ['/%255c', /double percent/],
  ['/%2525', /double percent/],
  ['/snowman-\u2603', /percent-encoded UTF-8/],
  [`/${'a'.repeat(8192)}`, /longer than 8192/],
];

describe('resolveUpstreamPath', () => {
  it.each(NORMALISED)('normalises %j under base %j to %j', (raw, base, expected) => {
    expect(resolveUpstreamPath(raw, base).target).toBe(expected);
  });

  it.each(REJECTED)('rejects %j with invalid_path (%s)', (raw, reason) => {
    let thrown: unknown;
    try {
      resolveUpstreamPath(raw, '/v1');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    const error = thrown as AppError;
    expect(error.code).toBe('invalid_path');
    expect(error.status).toBe(400);
    expect(error.detail).toMatch(reason);
  });

  it('keeps the query string byte for byte and apart from the path', () => {
    const query = 'a=1&b=%2e%2e%2f&c=\u00e9&d=/x/../y&e=%00';
    expect(resolveUpstreamPath(`/x/../y?${query}`, '/base')).toEqual({
      path: '/base/y',
      query,
      target: `/base/y?${query}`,
    });
  });

  it('never leaves the base path, whatever the input (property over generated paths)', () => {
    const alphabet = ['a', '.', '..', '%2e', '%2E%2e', '.%2e', '', 'b', '%41'];
    for (let n = 0; n < 2000; n++) {
      const segments = Array.from(
        { length: 1 + (n % 7) },
        (_, i) => alphabet[(n * 7 + i * 13 + (n >> 3)) % alphabet.length],
      );
      const { path } = resolveUpstreamPath(`/${segments.join('/')}`, '/mount/v1');
      expect(path === '/mount/v1' || path.startsWith('/mount/v1/')).toBe(true);
      expect(path.slice('/mount/v1'.length).split('/')).not.toContain('..');
    }
  });

  it('keeps %2F inside a segment when allowEncodedSlash is set, but not around a dot segment', () => {
    expect(
      resolveUpstreamPath('/projects/group%2fproject/issues', '/api/v4', { allowEncodedSlash: true }).path,
    ).toBe('/api/v4/projects/group%2Fproject/issues');
    expect(() =>
      resolveUpstreamPath('/projects/..%2f..%2fadmin', '/api/v4', { allowEncodedSlash: true }),
    ).toThrow(/dot segment/);
    expect(() => resolveUpstreamPath('/projects/a%2F%2e%2e', '/api/v4', { allowEncodedSlash: true })).toThrow(
      /dot segment/,
    );
  });

  it('accepts a longer target when maxLength allows it', () => {
    expect(resolveUpstreamPath(`/${'a'.repeat(100)}`, '', { maxLength: 101 }).path).toHaveLength(101);
    expect(() => resolveUpstreamPath(`/${'a'.repeat(100)}`, '', { maxLength: 100 })).toThrow(AppError);
  });

  it('normalises the base path too (trailing slash, repeated slashes)', () => {
    expect(resolveUpstreamPath('/x', '/v1/').path).toBe('/v1/x');
    expect(resolveUpstreamPath('/x', 'v1//beta').path).toBe('/v1/beta/x');
  });
});

describe('splitGatewayTarget', () => {
  it.each([
    ['/weather/v1/now?city=Paris', { slug: 'weather', rest: '/v1/now?city=Paris' }],
    ['/weather', { slug: 'weather', rest: '' }],
    ['/weather?city=Paris', { slug: 'weather', rest: '?city=Paris' }],
    ['/weather/', { slug: 'weather', rest: '/' }],
    ['/my-api-2/x', { slug: 'my-api-2', rest: '/x' }],
  ])('splits %j', (raw, expected) => {
    expect(splitGatewayTarget(raw)).toEqual(expected);
  });

  it.each(['/', '/Weather/x', '/-x/y', '/%2e%2e/x', '/../x', '/a_b'])(
    'answers null for %j (no such slug)',
    (raw) => {
      expect(splitGatewayTarget(raw)).toBeNull();
    },
  );

  it.each(['http://evil.example/x', '//evil.example/x', 'weather/x', '*'])(
    'rejects %j with invalid_path',
    (raw) => {
      expect(() => splitGatewayTarget(raw)).toThrow(expect.objectContaining({ code: 'invalid_path' }));
    },
  );
});
