import { invalidProxyEntries, plainAddress, TrustedProxies } from './trusted-proxies';

describe('client origin (GATEWAY_TRUSTED_PROXIES)', () => {
  const none = TrustedProxies.parse('');
  const lb = TrustedProxies.parse('10.0.0.0/8, 192.0.2.10 2001:db8::/32');

  it('without trusted proxies, the peer is the consumer and forwarded headers are ignored', () => {
    expect(none.clientOf('198.51.100.7', 'http', '203.0.113.9', 'https')).toEqual({
      address: '198.51.100.7',
      forwardedFor: '198.51.100.7',
      proto: 'http',
    });
  });

  it('ignores forwarded headers from a peer that is not a trusted proxy', () => {
    expect(lb.clientOf('198.51.100.7', 'http', '203.0.113.9', 'https')).toEqual({
      address: '198.51.100.7',
      forwardedFor: '198.51.100.7',
      proto: 'http',
    });
  });

  it('from a trusted proxy, takes the right-most untrusted address and drops what the consumer wrote', () => {
    // the consumer sent "X-Forwarded-For: 1.2.3.4" itself; two of our proxies appended after it
    expect(lb.clientOf('::ffff:10.0.0.5', 'http', '1.2.3.4, 203.0.113.9, 10.1.1.1', 'https')).toEqual({
      address: '203.0.113.9',
      forwardedFor: '203.0.113.9, 10.1.1.1, 10.0.0.5',
      proto: 'https',
    });
    expect(lb.clientOf('2001:db8::1', 'http', ['203.0.113.9', '192.0.2.10'], undefined)).toEqual({
      address: '203.0.113.9',
      forwardedFor: '203.0.113.9, 192.0.2.10, 2001:db8::1',
      proto: 'http',
    });
  });

  it('stops at a malformed entry and falls back to the peer without one', () => {
    expect(lb.clientOf('10.0.0.5', 'http', 'evil, 10.1.1.1', undefined).address).toBe('10.1.1.1');
    expect(lb.clientOf('10.0.0.5', 'http', 'not-an-ip', 'gopher')).toEqual({
      address: '10.0.0.5',
      forwardedFor: '10.0.0.5',
      proto: 'http',
    });
    expect(lb.clientOf('10.0.0.5', 'https', undefined, undefined).address).toBe('10.0.0.5');
  });

  it('normalises IPv4-mapped addresses', () => {
    expect(plainAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(plainAddress('::1')).toBe('::1');
    expect(lb.has('::ffff:10.9.9.9')).toBe(true);
    expect(lb.has(undefined)).toBe(false);
  });

  it('names the entries of a setting that are not IPs or CIDRs', () => {
    expect(invalidProxyEntries('')).toEqual([]);
    expect(invalidProxyEntries('10.0.0.0/8,192.0.2.1, ::1 2001:db8::/32')).toEqual([]);
    expect(invalidProxyEntries('10.0.0.0/33,lb.internal,10.0.0.1/8/1,::1/129,10.0.0.0/x')).toEqual([
      '10.0.0.0/33',
      'lb.internal',
      '10.0.0.1/8/1',
      '::1/129',
      '10.0.0.0/x',
    ]);
  });
});
