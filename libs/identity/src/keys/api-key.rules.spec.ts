import { BlockList } from 'node:net';
import fc from 'fast-check';
import {
  apiKeyStatus,
  keyRejection,
  normaliseIpRule,
  normaliseKeySettings,
  normaliseOrigin,
  normaliseScopes,
} from './api-key.rules';

const ok = (value: string) => ({ ok: true, value });

describe('api key rules', () => {
  describe('IP allowlist entries', () => {
    it.each([
      ['203.0.113.7', '203.0.113.7/32'],
      [' 203.0.113.0/24 ', '203.0.113.0/24'],
      ['0.0.0.0/0', '0.0.0.0/0'],
      ['2001:DB8:0:0::/32', '2001:db8::/32'],
      ['2001:db8::1', '2001:db8::1/128'],
      ['::/0', '::/0'],
      ['::ffff:198.51.100.9', '198.51.100.9/32'],
    ])('normalises %s to %s', (input, expected) => {
      expect(normaliseIpRule(input)).toEqual(ok(expected));
    });

    it.each([
      '',
      'localhost',
      '10.0.0.1/8',
      '10.0.0.0/33',
      '10.0.0.0/-1',
      '10.0.0.0/8/8',
      '010.0.0.1',
      '2001:db8::1/64',
      'fe80::1%eth0',
      '1.2.3.4/ 8',
      '2001:db8::/129',
    ])('refuses %j', (input) => {
      expect(normaliseIpRule(input).ok).toBe(false);
    });

    it('every normalised entry is accepted by node:net BlockList and matches its own address', () => {
      fc.assert(
        fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (address) => {
          const result = normaliseIpRule(address);
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          const [network, prefix] = result.value.split('/') as [string, string];
          const family = network.includes(':') ? 'ipv6' : 'ipv4';
          const list = new BlockList();
          list.addSubnet(network, Number(prefix), family);
          expect(list.check(network, family)).toBe(true);
          // normalising is idempotent
          expect(normaliseIpRule(result.value)).toEqual(result);
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('origins', () => {
    it.each([
      ['https://App.Example.com', 'https://app.example.com'],
      ['https://app.example.com/', 'https://app.example.com'],
      ['http://localhost:5173', 'http://localhost:5173'],
      ['https://example.com:443', 'https://example.com'],
      ['http://[::1]:8080', 'http://[::1]:8080'],
    ])('normalises %s to %s', (input, expected) => {
      expect(normaliseOrigin(input)).toEqual(ok(expected));
    });

    it.each([
      'example.com',
      'ftp://example.com',
      'https://example.com/path',
      'https://example.com?x=1',
      'https://user@example.com',
      'https://*.example.com',
      'https://exa mple.com',
      'javascript:alert(1)',
    ])('refuses %j', (input) => {
      expect(normaliseOrigin(input).ok).toBe(false);
    });
  });

  it('dedupes scopes and collapses a list with "*" to ["*"]', () => {
    expect(normaliseScopes(['api:a', 'api:a', 'api:b'])).toEqual(['api:a', 'api:b']);
    expect(normaliseScopes(['api:a', '*'])).toEqual(['*']);
  });

  it('reports every bad field at once', () => {
    const result = normaliseKeySettings('secret', {
      label: ' ',
      scopes: ['api:Bad_Slug'],
      ipAllowlist: ['nope'],
      allowedOrigins: ['https://app.example.com'],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.field).sort()).toEqual([
      'allowedOrigins',
      'ipAllowlist',
      'label',
      'scopes',
    ]);
  });

  it('refuses lists over their bounds', () => {
    const result = normaliseKeySettings('publishable', {
      scopes: Array.from({ length: 51 }, (_, i) => `api:s${i}`),
    });
    expect(result).toEqual({ ok: false, problems: [{ field: 'scopes', message: 'at most 50 entries' }] });
  });

  describe('lifecycle', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const before = new Date(now.getTime() - 1);
    const after = new Date(now.getTime() + 1);

    it('a rotated key is valid during its grace and revoked once it ends', () => {
      expect(keyRejection({ revokedAt: after, expiresAt: null }, now)).toBeNull();
      expect(apiKeyStatus({ revokedAt: after, expiresAt: null }, now)).toBe('rotating');
      expect(keyRejection({ revokedAt: now, expiresAt: null }, now)).toBe('key_revoked');
    });

    it('expiry is checked at read time and revocation wins over expiry', () => {
      expect(keyRejection({ revokedAt: null, expiresAt: before }, now)).toBe('key_expired');
      expect(keyRejection({ revokedAt: before, expiresAt: before }, now)).toBe('key_revoked');
      expect(keyRejection({ revokedAt: null, expiresAt: after }, now, true)).toBe('key_revoked');
      expect(apiKeyStatus({ revokedAt: null, expiresAt: after }, now)).toBe('expiring');
      expect(apiKeyStatus({ revokedAt: null, expiresAt: null }, now)).toBe('active');
    });
  });
});
