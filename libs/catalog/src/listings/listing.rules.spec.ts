import {
  checkCredential,
  checkLinkUrl,
  checkListingSlug,
  credentialLastFour,
  normaliseEmail,
  normaliseTags,
  type CredentialInput,
} from './listing.rules';

describe('listing rules', () => {
  it.each(['weather-now', 'abc', 'a1b', `a${'b'.repeat(62)}c`])('accepts the slug %s', (slug) => {
    expect(checkListingSlug(slug)).toEqual({ ok: true });
  });

  it.each([
    'ab',
    '-abc',
    'abc-',
    'Abc',
    'a_b',
    'a.b',
    'a b',
    `a${'b'.repeat(63)}c`,
    'health',
    'ready',
    'metrics',
    'docs',
    'api',
    'admin',
    'static',
    'openapi',
  ])('refuses the slug %s', (slug) => {
    expect(checkListingSlug(slug)).toMatchObject({ ok: false, field: 'slug' });
  });

  it('lower-cases, trims and de-duplicates tags, and refuses bad ones', () => {
    expect(normaliseTags([' Weather ', 'weather', 'AI-tools'])).toEqual({
      ok: true,
      tags: ['weather', 'ai-tools'],
    });
    expect(normaliseTags(['has space'])).toMatchObject({ ok: false, field: 'tags' });
    expect(normaliseTags(['x'.repeat(31)])).toMatchObject({ ok: false });
    expect(normaliseTags(Array.from({ length: 11 }, (_, i) => `t${i}`))).toMatchObject({
      ok: false,
      reason: 'at most 10 tags',
    });
    expect(normaliseTags([...Array.from({ length: 10 }, (_, i) => `t${i}`), 't0'])).toMatchObject({
      ok: true,
    });
  });

  it.each([
    ['https://example.com/logo.png', true],
    ['http://example.com', true],
    ['javascript:alert(1)', false],
    ['data:image/png;base64,AAAA', false],
    ['//example.com/logo.png', false],
    ['https://user:pw@example.com', false],
    ['https://example.com/a b', false],
    [`https://example.com/${'a'.repeat(2048)}`, false],
  ])('checks the link %s', (url, ok) => {
    expect(checkLinkUrl('logoUrl', url).ok).toBe(ok);
  });

  const credential = (overrides: Partial<CredentialInput>): CredentialInput => ({
    location: 'header',
    name: 'X-Api-Key',
    value: 'secret-value',
    ...overrides,
  });

  it.each([
    [{}, null],
    [{ name: 'Authorization', value: 'Bearer abc.def' }, null],
    [{ name: 'Cookie', value: 'session=abc' }, null],
    [{ location: 'query' as const, name: 'api_key', value: 'abc def' }, null],
    [{ value: 'a\rb' }, 'credential.value'],
    [{ value: 'a\nb' }, 'credential.value'],
    [{ value: 'a\u0000b' }, 'credential.value'],
    [{ value: 'ünicode' }, 'credential.value'],
    [{ value: '' }, 'credential.value'],
    [{ name: 'X-Api\nKey' }, 'credential.name'],
    [{ name: 'X Api' }, 'credential.name'],
    [{ name: 'X-Api:Key' }, 'credential.name'],
    [{ name: '' }, 'credential.name'],
    [{ name: 'X-PORTICO-PROXY-SECRET' }, 'credential.name'],
    [{ name: 'x-forwarded-host' }, 'credential.name'],
    [{ name: 'Keep-Alive' }, 'credential.name'],
    [{ name: 'TE' }, 'credential.name'],
    [{ name: 'Upgrade' }, 'credential.name'],
    [{ name: 'Proxy-Authorization' }, 'credential.name'],
    [{ name: 'Sec-WebSocket-Key' }, 'credential.name'],
    [{ location: 'query' as const, name: 'a&b' }, 'credential.name'],
    [{ location: 'query' as const, value: 'a\tb' }, 'credential.value'],
    [{ location: 'cookie' as unknown as 'header' }, 'credential.location'],
  ])('checks the credential %j (refused on %s)', (overrides, field) => {
    const result = checkCredential(credential(overrides));
    if (field === null) expect(result).toEqual({ ok: true });
    else expect(result).toMatchObject({ ok: false, field });
  });

  it('shows the last four characters only of values long enough to hide the rest', () => {
    expect(credentialLastFour('sk_live_0123456789')).toBe('6789');
    expect(credentialLastFour('short-value')).toBeNull();
  });

  it('normalises invitation emails', () => {
    expect(normaliseEmail(' Friend@Example.COM ')).toEqual({ ok: true, email: 'friend@example.com' });
    expect(normaliseEmail('not an email')).toMatchObject({ ok: false, field: 'email' });
  });
});
