import { lookup } from 'node:dns/promises';
import {
  classifyAddress,
  classifyHostname,
  inspectAddress,
  isPublicUnicast,
  upstreamAddressVerdict,
  type AddressClass,
} from './address-policy';
import { formatIpv6, parseIpAddress, parseIpv4, parseIpv6 } from './ip-address';

/** [spelling, canonical address, class] */
const VECTORS: [string, string, AddressClass][] = [
  // loopback, every IPv4 spelling
  ['127.0.0.1', '127.0.0.1', 'loopback'],
  ['127.1', '127.0.0.1', 'loopback'],
  ['127.0.1', '127.0.0.1', 'loopback'],
  ['2130706433', '127.0.0.1', 'loopback'],
  ['0x7f000001', '127.0.0.1', 'loopback'],
  ['0X7F000001', '127.0.0.1', 'loopback'],
  ['0x7f.1', '127.0.0.1', 'loopback'],
  ['0x7f.0x0.0x0.0x1', '127.0.0.1', 'loopback'],
  ['0177.0.0.1', '127.0.0.1', 'loopback'],
  ['0177.1', '127.0.0.1', 'loopback'],
  ['017700000001', '127.0.0.1', 'loopback'],
  ['00000000000000177.1', '127.0.0.1', 'loopback'],
  ['0x00000000007f.1', '127.0.0.1', 'loopback'],
  ['127.0.0.1.', '127.0.0.1', 'loopback'],
  ['127.255.255.254', '127.255.255.254', 'loopback'],
  ['127.000.000.001', '127.0.0.1', 'loopback'],
  // unspecified and "this network"
  ['0.0.0.0', '0.0.0.0', 'unspecified'],
  ['0', '0.0.0.0', 'unspecified'],
  ['0x', '0.0.0.0', 'unspecified'],
  ['00', '0.0.0.0', 'unspecified'],
  ['0.1.2.3', '0.1.2.3', 'reserved'],
  // private
  ['10.0.0.5', '10.0.0.5', 'private'],
  ['167772165', '10.0.0.5', 'private'],
  ['0xa.5', '10.0.0.5', 'private'],
  ['012.0.0.5', '10.0.0.5', 'private'],
  ['172.16.0.1', '172.16.0.1', 'private'],
  ['172.31.255.255', '172.31.255.255', 'private'],
  ['192.168.1.1', '192.168.1.1', 'private'],
  ['0xc0a80101', '192.168.1.1', 'private'],
  ['0300.0250.1.1', '192.168.1.1', 'private'],
  ['192.168.257', '192.168.1.1', 'private'],
  // not quite private: the neighbours of the private blocks are public
  ['172.15.255.255', '172.15.255.255', 'public'],
  ['172.32.0.0', '172.32.0.0', 'public'],
  ['11.0.0.1', '11.0.0.1', 'public'],
  ['192.169.0.1', '192.169.0.1', 'public'],
  ['100.63.255.255', '100.63.255.255', 'public'],
  ['100.128.0.0', '100.128.0.0', 'public'],
  ['8.8.8.8', '8.8.8.8', 'public'],
  ['134744072', '8.8.8.8', 'public'],
  ['0x8.0x8.0x8.0x8', '8.8.8.8', 'public'],
  ['1.1.1.1', '1.1.1.1', 'public'],
  ['93.184.215.14', '93.184.215.14', 'public'],
  ['223.255.255.255', '223.255.255.255', 'public'],
  // link-local, CGNAT, metadata
  ['169.254.1.1', '169.254.1.1', 'link-local'],
  ['169.254.169.254', '169.254.169.254', 'metadata'],
  ['2852039166', '169.254.169.254', 'metadata'],
  ['0xa9fea9fe', '169.254.169.254', 'metadata'],
  ['0251.0376.0251.0376', '169.254.169.254', 'metadata'],
  ['169.254.43518', '169.254.169.254', 'metadata'],
  ['169.16689662', '169.254.169.254', 'metadata'],
  ['169.254.170.2', '169.254.170.2', 'metadata'],
  ['100.100.100.200', '100.100.100.200', 'metadata'],
  ['192.0.0.192', '192.0.0.192', 'metadata'],
  ['100.64.0.1', '100.64.0.1', 'cgnat'],
  ['100.127.255.255', '100.127.255.255', 'cgnat'],
  // multicast, broadcast, reserved, documentation, benchmarking
  ['224.0.0.1', '224.0.0.1', 'multicast'],
  ['239.255.255.250', '239.255.255.250', 'multicast'],
  ['255.255.255.255', '255.255.255.255', 'broadcast'],
  ['4294967295', '255.255.255.255', 'broadcast'],
  ['240.0.0.1', '240.0.0.1', 'reserved'],
  ['192.0.0.8', '192.0.0.8', 'reserved'],
  ['192.88.99.1', '192.88.99.1', 'reserved'],
  ['192.0.2.10', '192.0.2.10', 'documentation'],
  ['198.51.100.7', '198.51.100.7', 'documentation'],
  ['203.0.113.9', '203.0.113.9', 'documentation'],
  ['198.18.0.1', '198.18.0.1', 'benchmarking'],
  ['198.19.255.255', '198.19.255.255', 'benchmarking'],
  // IPv6 basics, brackets and zones
  ['::', '::', 'unspecified'],
  ['[::]', '::', 'unspecified'],
  ['0:0:0:0:0:0:0:0', '::', 'unspecified'],
  ['::1', '::1', 'loopback'],
  ['[::1]', '::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', '::1', 'loopback'],
  ['0000:0000:0000:0000:0000:0000:0000:0001', '::1', 'loopback'],
  ['fe80::1', 'fe80::1', 'link-local'],
  ['fe80::1%eth0', 'fe80::1', 'link-local'],
  ['fe80::1%25eth0', 'fe80::1', 'link-local'],
  ['[fe80::1%eth0]', 'fe80::1', 'link-local'],
  ['febf:ffff::1', 'febf:ffff::1', 'link-local'],
  ['fec0::1', 'fec0::1', 'private'],
  ['fc00::1', 'fc00::1', 'private'],
  ['fd12:3456:789a::1', 'fd12:3456:789a::1', 'private'],
  ['FD00:EC2::254', 'fd00:ec2::254', 'metadata'],
  ['fd00:ec2:0:0:0:0:0:254', 'fd00:ec2::254', 'metadata'],
  ['ff02::1', 'ff02::1', 'multicast'],
  ['ff05::1:3', 'ff05::1:3', 'multicast'],
  ['2001:db8::1', '2001:db8::1', 'documentation'],
  ['3fff::1', '3fff::1', 'documentation'],
  ['2001:2::1', '2001:2::1', 'benchmarking'],
  ['100::1', '100::1', 'reserved'],
  ['2001:10::1', '2001:10::1', 'reserved'],
  ['5f00::1', '5f00::1', 'reserved'],
  ['4000::1', '4000::1', 'reserved'],
  ['2606:4700:4700::1111', '2606:4700:4700::1111', 'public'],
  ['[2001:4860:4860::8888]', '2001:4860:4860::8888', 'public'],
  ['2a00:1450:4001:81c::200e', '2a00:1450:4001:81c::200e', 'public'],
  // IPv4-mapped
  ['::ffff:127.0.0.1', '::ffff:7f00:1', 'loopback'],
  ['::ffff:7f00:1', '::ffff:7f00:1', 'loopback'],
  ['[::ffff:7f00:1]', '::ffff:7f00:1', 'loopback'],
  ['0:0:0:0:0:ffff:127.0.0.1', '::ffff:7f00:1', 'loopback'],
  ['::FFFF:10.0.0.5', '::ffff:a00:5', 'private'],
  ['::ffff:169.254.169.254', '::ffff:a9fe:a9fe', 'metadata'],
  ['::ffff:a9fe:a9fe', '::ffff:a9fe:a9fe', 'metadata'],
  ['::ffff:0.0.0.0', '::ffff:0:0', 'unspecified'],
  ['::ffff:8.8.8.8', '::ffff:808:808', 'public'],
  // IPv4-translated (SIIT) and IPv4-compatible (deprecated): never public
  ['::ffff:0:127.0.0.1', '::ffff:0:7f00:1', 'loopback'],
  ['::ffff:0:8.8.8.8', '::ffff:0:808:808', 'reserved'],
  ['::127.0.0.1', '::7f00:1', 'loopback'],
  ['::7f00:1', '::7f00:1', 'loopback'],
  ['::10.0.0.5', '::a00:5', 'private'],
  ['::8.8.8.8', '::808:808', 'reserved'],
  // NAT64
  ['64:ff9b::127.0.0.1', '64:ff9b::7f00:1', 'loopback'],
  ['64:ff9b::7f00:1', '64:ff9b::7f00:1', 'loopback'],
  ['64:ff9b::10.0.0.5', '64:ff9b::a00:5', 'private'],
  ['64:ff9b::a9fe:a9fe', '64:ff9b::a9fe:a9fe', 'metadata'],
  ['64:ff9b::192.168.0.1', '64:ff9b::c0a8:1', 'private'],
  ['64:ff9b::8.8.8.8', '64:ff9b::808:808', 'public'],
  ['64:ff9b:1::10.0.0.5', '64:ff9b:1::a00:5', 'private'],
  ['64:ff9b:1::8.8.8.8', '64:ff9b:1::808:808', 'private'],
  // 6to4
  ['2002:7f00:1::', '2002:7f00:1::', 'loopback'],
  ['2002:a00:5::1', '2002:a00:5::1', 'private'],
  ['2002:a9fe:a9fe::', '2002:a9fe:a9fe::', 'metadata'],
  ['2002:808:808::1', '2002:808:808::1', 'public'],
  // Teredo: the client address is stored inverted in the last 32 bits
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', '2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'],
  ['2001:0:4136:e378:8000:63bf:f5ff:fffa', '2001:0:4136:e378:8000:63bf:f5ff:fffa', 'private'],
  ['2001:0:a00:5::f7f7:f7f7', '2001:0:a00:5::f7f7:f7f7', 'private'],
  ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', '2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'reserved'],
];

describe('classifyAddress', () => {
  it.each(VECTORS)('classifies %s (%s) as %s', (spelling, canonical, cls) => {
    expect(classifyAddress(spelling)).toBe(cls);
    expect(inspectAddress(spelling)?.address).toBe(canonical);
    expect(isPublicUnicast(spelling)).toBe(cls === 'public');
  });

  it.each([
    '',
    ' ',
    'localhost',
    'example.com',
    '1.2.3.4.5',
    '256.1.1.1',
    '1.256.1.1',
    '4294967296',
    '0x100000000',
    '08.0.0.1',
    '09',
    '1..1',
    '.1.2.3',
    '1.2.3.4..',
    '127.0.0.1 ',
    ' 127.0.0.1',
    '0xg',
    '1e3',
    '-1',
    '+1',
    ':::',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '::ffff:1.2.3',
    '::ffff:01.2.3.4',
    '::ffff:256.0.0.1',
    '12345::',
    'fe80::1%',
    '[::1',
    'g::1',
    '1:2:3:4:5:6:7::8',
  ])('refuses %j as an address', (text) => {
    expect(parseIpAddress(text)).toBeNull();
    expect(() => classifyAddress(text)).toThrow(TypeError);
    expect(isPublicUnicast(text)).toBe(false);
  });

  it('parses exactly what the C library (getaddrinfo) and the WHATWG URL parser parse as IPv4', async () => {
    for (const spelling of [
      '127.1',
      '0x7f.1',
      '0177.0.0.1',
      '2130706433',
      '0x7f000001',
      '10.1',
      '169.254.43518',
    ]) {
      const [answer] = await lookup(spelling, { all: true });
      expect(formatIpv4OrNull(parseIpv4(spelling))).toBe(answer.address);
      expect(new URL(`http://${spelling}/`).hostname).toBe(answer.address);
    }
  });

  it('formats IPv6 the RFC 5952 way and as the URL parser does', () => {
    for (const text of [
      '::ffff:127.0.0.1',
      '2001:db8:0:0:1:0:0:1',
      '1:0:0:2:0:0:0:3',
      'fe80:0:0:0:0:0:0:1',
      '1:2:3:4:5:6:7:8',
      '::1:0:0:0:0',
    ]) {
      const bytes = parseIpv6(text);
      expect(bytes).not.toBeNull();
      expect(`[${formatIpv6(bytes!)}]`).toBe(new URL(`http://[${text}]/`).hostname);
    }
  });

  it('says which IPv4 address an IPv6 address carries', () => {
    expect(inspectAddress('64:ff9b::10.0.0.5')?.embedded).toEqual({
      via: 'nat64',
      address: '10.0.0.5',
      class: 'private',
    });
    expect(inspectAddress('2001:0:4136:e378:8000:63bf:80ff:fffe')?.embedded).toMatchObject({
      via: 'teredo',
      address: '127.0.0.1',
    });
  });
});

function formatIpv4OrNull(bytes: Uint8Array | null): string | null {
  return bytes ? Array.from(bytes).join('.') : null;
}

describe('classifyHostname', () => {
  it.each([
    ['localhost', 'loopback'],
    ['LOCALHOST', 'loopback'],
    ['localhost.', 'loopback'],
    ['api.localhost', 'loopback'],
    ['a.b.localhost.', 'loopback'],
    ['metadata.google.internal', 'metadata'],
    ['metadata.google.internal.', 'metadata'],
    ['metadata.goog', 'metadata'],
    ['instance-data.ec2.internal', 'metadata'],
    ['api.example.com', null],
    ['localhost.example.com', null],
    ['notlocalhost', null],
  ])('classifies the name %s as %s', (name, cls) => {
    expect(classifyHostname(name)).toBe(cls);
  });
});

describe('upstreamAddressVerdict', () => {
  it('refuses private addresses with a reason naming the switch, and allows them when the operator does', () => {
    const refused = upstreamAddressVerdict('10.0.0.5', { allowPrivate: false }, 'resolves to');
    expect(refused).toEqual({
      allowed: false,
      class: 'private',
      reason:
        'resolves to 10.0.0.5, a private address; the gateway refuses private upstreams unless the operator sets GATEWAY_ALLOW_PRIVATE_UPSTREAMS=true',
    });
    expect(upstreamAddressVerdict('10.0.0.5', { allowPrivate: true })).toEqual({
      allowed: true,
      class: 'private',
    });
  });

  it.each([
    '127.0.0.1',
    '::1',
    '169.254.1.1',
    'fe80::1',
    '100.64.0.1',
    'fd12::1',
    '::ffff:192.168.0.1',
    '64:ff9b::a00:1',
  ])('lets %s through only with GATEWAY_ALLOW_PRIVATE_UPSTREAMS', (ip) => {
    expect(upstreamAddressVerdict(ip, { allowPrivate: false }).allowed).toBe(false);
    expect(upstreamAddressVerdict(ip, { allowPrivate: true }).allowed).toBe(true);
  });

  it.each([
    '169.254.169.254',
    'fd00:ec2::254',
    '100.100.100.200',
    '::ffff:169.254.169.254',
    '0.0.0.0',
    '::',
    '224.0.0.1',
    'ff02::1',
    '255.255.255.255',
    '240.0.0.1',
    '192.0.2.1',
    '2001:db8::1',
    'not-an-ip',
  ])('refuses %s even with GATEWAY_ALLOW_PRIVATE_UPSTREAMS', (ip) => {
    expect(upstreamAddressVerdict(ip, { allowPrivate: true }).allowed).toBe(false);
  });

  it('names the IPv4 address an IPv6 spelling hides', () => {
    const verdict = upstreamAddressVerdict('::ffff:7f00:1', { allowPrivate: false });
    expect(verdict.allowed).toBe(false);
    expect(!verdict.allowed && verdict.reason).toContain(
      '::ffff:7f00:1 (IPv4-mapped 127.0.0.1), a loopback address',
    );
  });

  it('says metadata addresses are refused whatever the switch says', () => {
    const verdict = upstreamAddressVerdict('169.254.169.254', { allowPrivate: true });
    expect(!verdict.allowed && verdict.reason).toContain('never calls metadata services');
  });

  it('allows public unicast addresses', () => {
    expect(upstreamAddressVerdict('8.8.8.8', { allowPrivate: false })).toEqual({
      allowed: true,
      class: 'public',
    });
    expect(upstreamAddressVerdict('2606:4700:4700::1111', { allowPrivate: false })).toEqual({
      allowed: true,
      class: 'public',
    });
  });
});
