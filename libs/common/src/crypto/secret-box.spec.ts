import { randomBytes } from 'node:crypto';
import { loadEnv } from '../config/load-env';
import { EncryptionEnv } from './encryption.env';
import { decodeEncryptionKey, SecretBox, SecretBoxError } from './secret-box';

const key = (): Buffer => randomBytes(32);

describe('SecretBox', () => {
  it('round-trips text and bytes, with a fresh IV every time', () => {
    const box = new SecretBox(key());
    const sealed = box.seal('sk_live_upstream-credential');
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('upstream-credential');
    expect(box.openText(sealed)).toBe('sk_live_upstream-credential');
    expect(box.seal('sk_live_upstream-credential')).not.toBe(sealed);
    const bytes = randomBytes(100);
    expect(box.open(box.seal(bytes)).equals(bytes)).toBe(true);
    expect(box.openText(box.seal(''))).toBe('');
    expect(box.openText(box.seal('ünïcödé ✓'))).toBe('ünïcödé ✓');
  });

  it('refuses a tampered IV, tag or ciphertext', () => {
    const box = new SecretBox(key());
    const sealed = box.seal('a secret worth protecting');
    const parts = sealed.split('.');
    for (const index of [1, 2, 3]) {
      const raw = Buffer.from(parts[index], 'base64url');
      raw[0] ^= 0x01;
      const tampered = [...parts];
      tampered[index] = raw.toString('base64url');
      expect(() => box.open(tampered.join('.'))).toThrow(SecretBoxError);
    }
  });

  it('refuses a value sealed under another key', () => {
    const sealed = new SecretBox(key()).seal('secret');
    expect(() => new SecretBox(key()).open(sealed)).toThrow(SecretBoxError);
  });

  it('binds a value to its context (additional authenticated data)', () => {
    const box = new SecretBox(key());
    const sealed = box.seal('secret', 'api_listings.credential:1');
    expect(box.openText(sealed, 'api_listings.credential:1')).toBe('secret');
    expect(() => box.open(sealed, 'api_listings.credential:2')).toThrow(SecretBoxError);
    expect(() => box.open(sealed)).toThrow(SecretBoxError);
  });

  it.each(['', 'v1', 'v2.a.b.c', 'v1.a.b', 'v1.!!.b.c', 'v1.AAAA.AAAA.AAAA', 'plain text'])(
    'refuses %j as not a sealed value',
    (text) => {
      expect(() => new SecretBox(key()).open(text)).toThrow(SecretBoxError);
    },
  );

  it('needs a 32-byte key, and a box without one refuses to work, saying why', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(RangeError);
    const keyless = new SecretBox(null, 'ENCRYPTION_KEY is not configured');
    expect(keyless.configured).toBe(false);
    expect(() => keyless.seal('x')).toThrow('ENCRYPTION_KEY is not configured');
  });

  it('reads keys in base64 and base64url, padded or not', () => {
    const raw = key();
    for (const text of [
      raw.toString('base64'),
      raw.toString('base64').replace(/=$/, ''),
      raw.toString('base64url'),
    ]) {
      expect(decodeEncryptionKey(text)?.equals(raw)).toBe(true);
    }
    const box = SecretBox.fromBase64(raw.toString('base64'));
    expect(new SecretBox(raw).openText(box.seal('same key'))).toBe('same key');
  });
});

describe('EncryptionEnv', () => {
  it('accepts 32 bytes of base64', () => {
    expect(loadEnv(EncryptionEnv, { ENCRYPTION_KEY: key().toString('base64') }).ENCRYPTION_KEY).toHaveLength(
      44,
    );
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['16 bytes', randomBytes(16).toString('base64')],
    ['48 bytes', randomBytes(48).toString('base64')],
    ['not base64', 'x'.repeat(43) + '!'],
    ['hex', randomBytes(32).toString('hex')],
  ])('refuses a %s key, naming ENCRYPTION_KEY without echoing it', (_label, value) => {
    const raw: Record<string, unknown> = value === undefined ? {} : { ENCRYPTION_KEY: value };
    let message = '';
    try {
      loadEnv(EncryptionEnv, raw);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(
      'ENCRYPTION_KEY must be 32 random bytes in base64 (generate one with: openssl rand -base64 32)',
    );
    if (value) expect(message).not.toContain(value);
  });
});
