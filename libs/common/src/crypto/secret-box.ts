import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
/** 32 bytes in standard or URL-safe base64, padded or not. */
const KEY_TEXT = /^[A-Za-z0-9+/_-]{43}=?$/;

/** A sealed value could not be opened: tampered with, sealed under another key or context, or not a sealed value. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/** Decodes an ENCRYPTION_KEY (32 bytes, base64 or base64url), or null when it is not exactly that. */
export function decodeEncryptionKey(text: string): Buffer | null {
  if (!KEY_TEXT.test(text)) return null;
  const key = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === KEY_BYTES ? key : null;
}

/**
 * Authenticated encryption of small secrets at rest (upstream credentials, proxy secrets, stored
 * idempotent responses): AES-256-GCM, a random 96-bit IV per value, a 128-bit tag, and optional
 * additional authenticated data binding the value to where it is stored (a row id), so a sealed
 * value copied elsewhere does not open. Output: `v1.<iv>.<tag>.<data>`, each part base64url; the
 * version prefix leaves room for a key id or another algorithm later.
 */
export class SecretBox {
  private readonly key: Buffer | null;

  /** `key`: 32 bytes. `null` makes a box that refuses to work (a process without ENCRYPTION_KEY). */
  constructor(
    key: Buffer | null,
    private readonly missingKeyMessage = 'SecretBox has no key',
  ) {
    if (key !== null && key.length !== KEY_BYTES)
      throw new RangeError(`SecretBox needs a ${KEY_BYTES}-byte key, got ${key.length} bytes`);
    this.key = key === null ? null : Buffer.from(key);
  }

  static fromBase64(text: string): SecretBox {
    const key = decodeEncryptionKey(text);
    if (!key) throw new RangeError('SecretBox key must be 32 bytes in base64');
    return new SecretBox(key);
  }

  get configured(): boolean {
    return this.key !== null;
  }

  seal(plaintext: string | Buffer, aad?: string): string {
    const key = this.requireKey();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'));
    const data = Buffer.concat([
      cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext),
      cipher.final(),
    ]);
    return [VERSION, iv, cipher.getAuthTag(), data]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** The plaintext bytes; SecretBoxError when the value was altered, sealed under another key or another `aad`. */
  open(sealed: string, aad?: string): Buffer {
    const key = this.requireKey();
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION || !parts.slice(1).every((part) => BASE64URL.test(part))) {
      throw new SecretBoxError(`not a sealed value (expected ${VERSION}.<iv>.<tag>.<data>)`);
    }
    const [iv, tag, data] = parts.slice(1).map((part) => Buffer.from(part, 'base64url'));
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
      throw new SecretBoxError('not a sealed value (bad IV or tag length)');
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(data), decipher.final()]);
    } catch {
      throw new SecretBoxError(
        'the sealed value does not open: it was altered, or sealed under another key or context',
      );
    }
  }

  openText(sealed: string, aad?: string): string {
    return this.open(sealed, aad).toString('utf8');
  }

  private requireKey(): Buffer {
    if (!this.key) throw new Error(this.missingKeyMessage);
    return this.key;
  }
}
