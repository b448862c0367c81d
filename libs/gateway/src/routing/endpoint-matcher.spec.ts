import { GITHUB_REST_DESCRIPTION } from '@app/catalog/testing';
import { readFileSync } from 'node:fs';
import { EndpointMatcher, type EndpointRoute } from './endpoint-matcher';

let nextId = 0;
function route(method: string, path: string): EndpointRoute {
  nextId += 1;
  return { id: `ep-${nextId}`, method, path };
}

/** `METHOD path` of the match, or null: readable assertions. */
function matched(matcher: EndpointMatcher, method: string, path: string): string | null {
  const found = matcher.match(method, path);
  return found === null ? null : `${found.method} ${found.path}`;
}

describe('EndpointMatcher', () => {
  const petstore = new EndpointMatcher([
    route('GET', '/pets'),
    route('POST', '/pets'),
    route('GET', '/pets/{petId}'),
    route('DELETE', '/pets/{petId}'),
    route('GET', '/pets/mine'),
    route('POST', '/pets/mine/feed'),
    route('GET', '/pets/{petId}/toys'),
    route('HEAD', '/pets/{petId}/toys'),
    route('GET', '/'),
  ]);

  it('prefers a literal segment over a templated one, whatever the declaration order', () => {
    expect(matched(petstore, 'GET', '/pets/mine')).toBe('GET /pets/mine');
    const reversed = new EndpointMatcher([route('GET', '/pets/mine'), route('GET', '/pets/{id}')].reverse());
    expect(matched(reversed, 'GET', '/pets/mine')).toBe('GET /pets/mine');
    expect(matched(reversed, 'GET', '/pets/42')).toBe('GET /pets/{id}');
  });

  it('lets a parameter match exactly one non-empty segment', () => {
    expect(matched(petstore, 'GET', '/pets/42')).toBe('GET /pets/{petId}');
    expect(matched(petstore, 'GET', '/pets/42/toys')).toBe('GET /pets/{petId}/toys');
    expect(matched(petstore, 'GET', '/pets/42/43')).toBeNull();
    expect(matched(petstore, 'GET', '/pets/42/toys/1')).toBeNull();
    // "/pets/" is "/pets" (trailing slash), not "/pets/{petId}" with an empty id
    expect(matched(petstore, 'GET', '/pets/')).toBe('GET /pets');
    expect(matched(petstore, 'DELETE', '/pets/')).toBeNull();
    expect(matched(petstore, 'DELETE', '/pets//toys')).toBeNull();
  });

  it('falls back to the templated branch when the literal one has no operation for the method', () => {
    expect(matched(petstore, 'DELETE', '/pets/mine')).toBe('DELETE /pets/{petId}');
    expect(matched(petstore, 'PUT', '/pets/mine')).toBeNull();
  });

  it('falls back to the templated branch when the literal one dead-ends deeper', () => {
    expect(matched(petstore, 'GET', '/pets/mine/toys')).toBe('GET /pets/{petId}/toys');
    expect(matched(petstore, 'POST', '/pets/mine/feed')).toBe('POST /pets/mine/feed');
    expect(matched(petstore, 'POST', '/pets/7/feed')).toBeNull();
  });

  it('tolerates a trailing slash on the request and on the template', () => {
    expect(matched(petstore, 'GET', '/pets/42/')).toBe('GET /pets/{petId}');
    const slashed = new EndpointMatcher([route('GET', '/users/{id}/')]);
    expect(matched(slashed, 'GET', '/users/1')).toBe('GET /users/{id}/');
    expect(matched(slashed, 'GET', '/users/1/')).toBe('GET /users/{id}/');
  });

  it('matches the root template for "/" and the empty path', () => {
    expect(matched(petstore, 'GET', '/')).toBe('GET /');
    expect(matched(petstore, 'GET', '')).toBe('GET /');
    expect(matched(new EndpointMatcher([route('GET', '/pets')]), 'GET', '/')).toBeNull();
  });

  it('answers HEAD with the HEAD operation, else the GET one of the same path', () => {
    expect(matched(petstore, 'HEAD', '/pets/1/toys')).toBe('HEAD /pets/{petId}/toys');
    expect(matched(petstore, 'HEAD', '/pets/1')).toBe('GET /pets/{petId}');
    expect(matched(petstore, 'HEAD', '/pets/mine')).toBe('GET /pets/mine');
    const postOnly = new EndpointMatcher([route('POST', '/jobs')]);
    expect(matched(postOnly, 'HEAD', '/jobs')).toBeNull();
  });

  it('compares methods case-insensitively, on both sides', () => {
    expect(matched(petstore, 'get', '/pets')).toBe('GET /pets');
    expect(matched(petstore, 'Post', '/pets')).toBe('POST /pets');
    const lower = new EndpointMatcher([route('patch', '/a')]);
    expect(lower.match('PATCH', '/a')?.path).toBe('/a');
  });

  it('returns null for unknown paths and methods', () => {
    expect(matched(petstore, 'GET', '/owners')).toBeNull();
    expect(matched(petstore, 'PATCH', '/pets')).toBeNull();
    expect(matched(new EndpointMatcher([]), 'GET', '/')).toBeNull();
  });

  it('matches segments that mix literal text and parameters, the most literal first', () => {
    const files = new EndpointMatcher([
      route('GET', '/files/{name}'),
      route('GET', '/files/{name}.json'),
      route('GET', '/files/{name}.{ext}'),
      route('GET', '/reports/{year}-{month}'),
      route('GET', '/v{major}/status'),
    ]);
    expect(matched(files, 'GET', '/files/a.json')).toBe('GET /files/{name}.json');
    expect(matched(files, 'GET', '/files/a.b.json')).toBe('GET /files/{name}.json');
    expect(matched(files, 'GET', '/files/a.xml')).toBe('GET /files/{name}.{ext}');
    expect(matched(files, 'GET', '/files/a')).toBe('GET /files/{name}');
    // each parameter needs at least one character
    expect(matched(files, 'GET', '/files/.json')).toBe('GET /files/{name}');
    expect(matched(files, 'GET', '/files/a.')).toBe('GET /files/{name}');
    expect(matched(files, 'GET', '/reports/2024-05')).toBe('GET /reports/{year}-{month}');
    expect(matched(files, 'GET', '/reports/2024-')).toBeNull();
    expect(matched(files, 'GET', '/reports/-05')).toBeNull();
    expect(matched(files, 'GET', '/v2/status')).toBe('GET /v{major}/status');
    expect(matched(files, 'GET', '/v/status')).toBeNull();
    expect(matched(files, 'GET', '/x2/status')).toBeNull();
  });

  it('matches a mixed segment in linear time even for a template built to backtrack', () => {
    // a regular expression /^(.+?)-(.+?)-(.+?)-(.+?)x$/ takes minutes on this segment
    const hostile = new EndpointMatcher([route('GET', '/h/{a}-{b}-{c}-{d}x')]);
    const segment = '-'.repeat(8000);
    expect(matched(hostile, 'GET', `/h/${segment}`)).toBeNull();
    expect(matched(hostile, 'GET', `/h/${segment}x`)).toBe('GET /h/{a}-{b}-{c}-{d}x');
    expect(matched(hostile, 'GET', '/h/1-2-3-4x')).toBe('GET /h/{a}-{b}-{c}-{d}x');
  });

  it('compares literals on the normalised percent-encoded form', () => {
    const encoded = new EndpointMatcher([
      route('GET', '/café/{id}'),
      route('GET', '/~user'),
      route('GET', '/a%2Fb'),
      route('GET', '/items/{id}'),
    ]);
    // the gateway hands over non-ASCII as upper-case UTF-8 percent-encoding (routing/path.ts)
    expect(matched(encoded, 'GET', '/caf%C3%A9/1')).toBe('GET /café/{id}');
    expect(matched(encoded, 'GET', '/caf%c3%a9/1')).toBe('GET /café/{id}');
    expect(matched(encoded, 'GET', '/%7Euser')).toBe('GET /~user');
    expect(matched(encoded, 'GET', '/~user')).toBe('GET /~user');
    expect(matched(encoded, 'GET', '/a%2fb')).toBe('GET /a%2Fb');
    // an encoded slash is an ordinary character of one segment
    expect(matched(encoded, 'GET', '/items/a%2Fb')).toBe('GET /items/{id}');
  });

  it('keeps the first of two endpoints with the same method and equivalent template', () => {
    const first = route('GET', '/pets/{id}');
    const second = route('GET', '/pets/{petId}');
    const matcher = new EndpointMatcher([first, second]);
    expect(matcher.match('GET', '/pets/1')).toBe(first);
    expect(matcher.duplicates).toEqual([second]);
  });

  describe("GitHub's REST description (1,200+ operations)", () => {
    const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
    const document = JSON.parse(readFileSync(GITHUB_REST_DESCRIPTION, 'utf8')) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes: EndpointRoute[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of Object.keys(item)) {
        if (METHODS.includes(method)) routes.push(route(method.toUpperCase(), path));
      }
    }
    const matcher = new EndpointMatcher(routes);
    /** A concrete request path for a template: every parameter replaced by a value no literal equals. */
    const concrete = (template: string): string =>
      template.replace(/\{([^}]+)\}/g, (_m, name: string) => `v-${name}-1`);

    it('routes a concrete call of every operation back to that operation', () => {
      expect(routes.length).toBeGreaterThan(1200);
      expect(matcher.duplicates).toEqual([]);
      const wrong = routes.filter((r) => matcher.match(r.method, concrete(r.path)) !== r);
      expect(wrong).toEqual([]);
    });

    it('prefers the literal operations GitHub defines next to templated ones', () => {
      expect(matched(matcher, 'GET', '/repos/octo/hello/releases/latest')).toBe(
        'GET /repos/{owner}/{repo}/releases/latest',
      );
      expect(matched(matcher, 'GET', '/repos/octo/hello/releases/42')).toBe(
        'GET /repos/{owner}/{repo}/releases/{release_id}',
      );
      expect(matched(matcher, 'GET', '/user/repos/')).toBe('GET /user/repos');
      expect(matched(matcher, 'HEAD', '/repos/octo/hello')).toBe('GET /repos/{owner}/{repo}');
    });

    it('answers null for paths GitHub does not define', () => {
      expect(matcher.match('GET', '/repos/octo')).toBeNull();
      expect(matcher.match('GET', '/repos/octo/hello/nope/at/all')).toBeNull();
      expect(matcher.match('BREW', '/user')).toBeNull();
    });
  });
});
