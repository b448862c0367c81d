import fc from 'fast-check';
import { base62Checksum, generateApiKey, isWellFormedApiKey, maskApiKey, parseApiKey } from './api-key.format';

const kinds = fc.constantFrom('secret' as const, 'publishable' as const);
const modes = fc.constantFrom('live' as const, 'test' as const);
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('api key format', () => {
  it('every generated key verifies and reports its kind and mode', () => {
    fc.assert(
      fc.property(kinds, modes, (kind, mode) => {
        const key = generateApiKey(kind, mode);
        const parsed = parseApiKey(key);
        expect(parsed).toEqual({
          kind,
          mode,
          prefix: kind === 'secret' ? `mp_${mode}_` : `mpp_${mode}_`,
          lastFour: key.slice(-4),
        });
        expect(isWellFormedApiKey(key)).toBe(true);
        expect(key.startsWith(kind === 'secret' ? `mp_${mode}_` : `mpp_${mode}_`)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('any single-character change fails the checksum', () => {
    fc.assert(
      fc.property(
        kinds,
        modes,
        fc.nat(),
        fc.integer({ min: 1, max: 61 }),
        (kind, mode, position, shift) => {
          const key = generateApiKey(kind, mode);
          const prefixLength = key.indexOf('_', key.indexOf('_') + 1) + 1;
          // change one character of the random body or the checksum to another base62 character
          const index = prefixLength + (position % (key.length - prefixLength));
          const replaced = ALPHABET[(ALPHABET.indexOf(key[index]) + shift) % 62];
          const tampered = key.slice(0, index) + replaced + key.slice(index + 1);
          expect(tampered).not.toBe(key);
          expect(parseApiKey(tampered)).toBeNull();
          expect(isWellFormedApiKey(tampered)).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a changed prefix fails the checksum, so a test key cannot be turned into a live one', () => {
    const key = generateApiKey('secret', 'test');
    expect(parseApiKey(key.replace('mp_test_', 'mp_live_'))).toBeNull();
    expect(parseApiKey(key.replace('mp_test_', 'mpp_test_'))).toBeNull();
    expect(isWellFormedApiKey(key.replace('mp_test_', 'mp_live_'))).toBe(false);
  });

  it('rejects malformed input without throwing', () => {
    for (const junk of ['', 'mp_live_', 'Bearer abc', 'mp_prod_' + 'a'.repeat(38), generateApiKey('secret', 'live') + 'x', ' ' + generateApiKey('secret', 'live')]) {
      expect(parseApiKey(junk)).toBeNull();
      expect(isWellFormedApiKey(junk)).toBe(false);
    }
  });

  it('checksums are six base62 characters', () => {
    fc.assert(fc.property(fc.string(), (text) => expect(base62Checksum(text)).toMatch(/^[0-9A-Za-z]{6}$/)));
  });

  it('masks a key for display with its prefix and last four', () => {
    expect(maskApiKey('mp_test_', 'wXyZ')).toBe('mp_test_…wXyZ');
  });
});
