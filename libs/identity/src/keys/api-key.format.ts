import { randomInt } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { ApiKeyKind, ApiKeyMode } from './api-key.entity';

/**
 * The Portico key format (DESIGN §4), as a pure module: no store is touched.
 *
 *   mp_live_ | mp_test_ | mpp_live_ | mpp_test_   (secret | publishable, live | test)
 *   + 32 random base62 characters
 *   + 6 base62 characters: CRC32 of everything before them, zero-padded
 *
 * The checksum lets the gateway reject typos and junk without a lookup, and lets secret
 * scanners recognise a real key with almost no false positives.
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 32;
const CHECKSUM_LENGTH = 6;

export const KEY_PREFIXES = {
  'secret:live': 'mp_live_',
  'secret:test': 'mp_test_',
  'publishable:live': 'mpp_live_',
  'publishable:test': 'mpp_test_',
} as const satisfies Record<`${ApiKeyKind}:${ApiKeyMode}`, string>;

export type KeyPrefix = (typeof KEY_PREFIXES)[keyof typeof KEY_PREFIXES];

const KEY_PATTERN = /^(mpp?)_(live|test)_([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/;

export interface ParsedApiKey {
  kind: ApiKeyKind;
  mode: ApiKeyMode;
  prefix: KeyPrefix;
  lastFour: string;
}

export function base62Checksum(text: string): string {
  let value = crc32(Buffer.from(text, 'utf8'));
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

export function generateApiKey(kind: ApiKeyKind, mode: ApiKeyMode): string {
  const prefix = KEY_PREFIXES[`${kind}:${mode}`];
  let body = '';
  for (let i = 0; i < BODY_LENGTH; i++) body += ALPHABET[randomInt(62)];
  return `${prefix}${body}${base62Checksum(prefix + body)}`;
}

/** Parses and checksum-verifies a key offline; null when it is not a well-formed Portico key. */
export function parseApiKey(raw: string): ParsedApiKey | null {
  const match = KEY_PATTERN.exec(raw);
  if (!match) return null;
  const [, family, mode, body, checksum] = match as unknown as [string, 'mp' | 'mpp', ApiKeyMode, string, string];
  const prefix = `${family}_${mode}_` as KeyPrefix;
  if (base62Checksum(prefix + body) !== checksum) return null;
  return { kind: family === 'mp' ? 'secret' : 'publishable', mode, prefix, lastFour: raw.slice(-4) };
}

/** What a key looks like in lists: `mp_test_…9xYz`. */
export function maskApiKey(prefix: string, lastFour: string): string {
  return `${prefix}…${lastFour}`;
}
