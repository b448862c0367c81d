import { validateUpstreamUrl, type HostLookup, type UpstreamUrlOptions } from './upstream-url';

/** A resolver for tests: a fixed table, ENOTFOUND otherwise (nothing leaves the process). */
function table(entries: Record<string, string[]>): HostLookup & { asked: string[] } {
  const asked: string[] = [];
  const lookup = async (hostname: string): Promise<string[]> => {
    asked.push(hostname);
    const answer = entries[hostname];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return answer;
  };
  return Object.assign(lookup, { asked });
}

const dns = table({
  'api.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'internal.example.com': ['10.0.0.5'],
  'mixed.example.com': ['93.184.215.14', '127.0.0.1'],
  'rebind.example.com': ['::ffff:7f00:1'],
  'meta.example.com': ['169.254.169.254'],
  'empty.example.com': [],
});

const strict = { allowPrivate: false, resolve: dns };
const lenient = { allowPrivate: true, resolve: dns };

async function reason(raw: unknown, options: UpstreamUrlOptions = strict): Promise<string> {
  const verdict = await validateUpstreamUrl(raw, options);
  if (verdict.ok) throw new Error(`expected ${String(raw)} to be refused`);
  return verdict.reason;
}

describe('validateUpstreamUrl', () => {
  it('accepts a public https URL and normalises it (no trailing slash, lower-case host)', async () => {
    await expect(validateUpstreamUrl('https://API.example.com/v1/', strict)).resolves.toEqual({
      ok: true,
      url: 'https://api.example.com/v1',
      hostname: 'api.example.com',
      addresses: ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    });
    await expect(validateUpstreamUrl('http://api.example.com:8443', strict)).resolves.toMatchObject({
      ok: true,
      url: 'http://api.example.com:8443',
    });
    await expect(validateUpstreamUrl('https://93.184.215.14/x', strict)).resolves.toMatchObject({
      ok: true,
      addresses: ['93.184.215.14'],
    });
    await expect(validateUpstreamUrl('https://[2606:4700:4700::1111]', strict)).resolves.toMatchObject({
      ok: true,
      url: 'https://[2606:4700:4700::1111]',
    });
  });

  it.each([
    ['ftp://api.example.com', 'must use http or https, not ftp'],
    ['file:///etc/passwd', 'must use http or https, not file'],
    ['gopher://api.example.com', 'must use http or https'],
    ['javascript:alert(1)', 'must use http or https'],
    ['api.example.com', 'must be an absolute http(s) URL'],
    ['//api.example.com', 'must be an absolute http(s) URL'],
    ['http:api.example.com', 'must be an absolute http(s) URL'],
    ['https://user:pass@api.example.com', 'must not contain a user name or password'],
    ['https://user@api.example.com', 'must not contain a user name or password'],
    ['https://@api.example.com', 'must not contain a user name or password'],
    ['https://api.example.com#frag', 'must not contain a fragment'],
    ['https://api.example.com/?key=1', 'must not contain a query string'],
    ['https://api.example.com:0', 'must use a port from 1 to 65535'],
    ['https://api.example.com:65536', 'must be an absolute http(s) URL'],
    ['https://api.example.com/a b', 'must not contain spaces, line breaks'],
    ['https://api.example.com/\r\nX-Injected: 1', 'must not contain spaces, line breaks'],
    ['https://api.example.com/%0d%0a', null],
    ['https://api.example.com\t', 'must not contain spaces, line breaks'],
    [' https://api.example.com', 'must not contain spaces, line breaks'],
    ['https://api.example.com/\u0000', 'must not contain spaces, line breaks'],
    ['https:\\\\api.example.com', 'must not contain backslashes'],
    ['https://', 'must be an absolute http(s) URL'],
    ['', 'must be an absolute http(s) URL'],
    [`https://api.example.com/${'a'.repeat(2048)}`, 'must be at most 2048 characters'],
  ])('checks the shape of %j', async (raw, expected) => {
    const verdict = await validateUpstreamUrl(raw, strict);
    if (expected === null) expect(verdict.ok).toBe(true);
    else expect(!verdict.ok && verdict.reason).toContain(expected);
  });

  it('refuses a non-string', async () => {
    expect(await reason(42)).toContain('must be an absolute http(s) URL');
  });

  it.each([
    ['http://127.0.0.1', 'points at 127.0.0.1, a loopback address'],
    ['http://127.1:8080', 'points at 127.0.0.1, a loopback address'],
    ['http://2130706433', 'points at 127.0.0.1, a loopback address'],
    ['http://0x7f.1', 'points at 127.0.0.1, a loopback address'],
    ['http://0x7f000001', 'points at 127.0.0.1, a loopback address'],
    ['http://0177.0.0.1', 'points at 127.0.0.1, a loopback address'],
    ['http://[::1]', 'points at ::1, a loopback address'],
    ['http://[::ffff:127.0.0.1]', 'points at ::ffff:7f00:1 (IPv4-mapped 127.0.0.1), a loopback address'],
    ['http://[::ffff:7f00:1]', 'a loopback address'],
    ['http://[64:ff9b::10.0.0.5]', 'points at 64:ff9b::a00:5 (NAT64 of 10.0.0.5), a private address'],
    ['http://[2002:a00:5::1]', '(6to4 of 10.0.0.5), a private address'],
    ['http://10.0.0.5', 'points at 10.0.0.5, a private address'],
    ['http://167772165', 'points at 10.0.0.5, a private address'],
    ['http://192.168.1.1', 'a private address'],
    ['http://[fd12::1]', 'a private address'],
    ['http://[fe80::1]', 'a link-local address'],
    ['http://100.64.0.1', 'a carrier-grade NAT address'],
    ['http://0.0.0.0', 'the unspecified address'],
    ['http://0', 'the unspecified address'],
    ['http://[::]', 'the unspecified address'],
    ['http://169.254.169.254/latest/meta-data', 'a cloud metadata service address'],
    ['http://2852039166', 'a cloud metadata service address'],
    ['http://[fd00:ec2::254]', 'a cloud metadata service address'],
    ['http://100.100.100.200', 'a cloud metadata service address'],
    ['http://224.0.0.1', 'a multicast address'],
    ['http://255.255.255.255', 'the broadcast address'],
    ['http://192.0.2.1', 'a documentation-only address'],
    ['http://localhost:3000', 'is localhost, a loopback address'],
    ['http://LOCALHOST.', 'is localhost, a loopback address'],
    ['http://api.localhost', 'is api.localhost, a loopback address'],
    [
      'http://metadata.google.internal/computeMetadata/v1',
      'is metadata.google.internal, a cloud metadata service address',
    ],
    [
      'https://internal.example.com',
      'resolves to 10.0.0.5, a private address; the gateway refuses private upstreams unless the operator sets GATEWAY_ALLOW_PRIVATE_UPSTREAMS=true',
    ],
    ['https://mixed.example.com', 'resolves to 127.0.0.1, a loopback address'],
    ['https://rebind.example.com', 'resolves to ::ffff:7f00:1 (IPv4-mapped 127.0.0.1), a loopback address'],
    ['https://meta.example.com', 'resolves to 169.254.169.254, a cloud metadata service address'],
    ['https://nowhere.example.com', 'host "nowhere.example.com" does not resolve (ENOTFOUND)'],
    ['https://empty.example.com', 'does not resolve to any address'],
  ])('refuses %s', async (raw, expected) => {
    expect(await reason(raw)).toContain(expected);
  });

  it('does not ask DNS about localhost or an address literal', async () => {
    dns.asked.length = 0;
    await validateUpstreamUrl('http://localhost', strict);
    await validateUpstreamUrl('http://127.0.0.1', strict);
    await validateUpstreamUrl('https://93.184.215.14', strict);
    expect(dns.asked).toEqual([]);
  });

  it('lets private, loopback and link-local upstreams through when the operator allows them', async () => {
    for (const raw of [
      'http://127.0.0.1:8080',
      'http://localhost:3000',
      'http://[::1]',
      'http://10.0.0.5',
      'https://internal.example.com',
      'https://mixed.example.com',
      'http://[fe80::1]',
    ]) {
      await expect(validateUpstreamUrl(raw, lenient)).resolves.toMatchObject({ ok: true });
    }
  });

  it('never lets metadata or non-unicast upstreams through, even when private ones are allowed', async () => {
    for (const raw of [
      'http://169.254.169.254',
      'https://meta.example.com',
      'http://metadata.google.internal',
      'http://0.0.0.0',
      'http://224.0.0.1',
      'http://[fd00:ec2::254]',
    ]) {
      await expect(validateUpstreamUrl(raw, lenient)).resolves.toMatchObject({ ok: false });
    }
  });

  it('uses the system resolver by default (localhost resolves to loopback)', async () => {
    expect(await reason('http://localhost.', { allowPrivate: false })).toContain('loopback');
  });
});
