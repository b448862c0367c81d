import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

export function newId(): string {
  return randomUUID();
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomOffset = 0;
let prefixMs = -1;
let prefix = '';

/**
 * A UUIDv7 (RFC 9562): the Unix time in ms (48 bits), then 74 random bits. Ids made in a later
 * millisecond sort after earlier ones, so a B-tree keyed by them grows at its right edge instead
 * of at random pages: for the request log's primary key, inserting 500 random (v4) ids cost ~5 ms
 * more per batch than time-ordered ones at 2 million rows, and the gap grows with the table.
 * Random bytes come from a pooled `randomBytes` buffer (as `randomUUID` does).
 */
export function timeOrderedUuid(nowMs: number = Date.now()): string {
  if (randomOffset + 10 > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomOffset = 0;
  }
  const r = randomPool;
  const o = randomOffset;
  randomOffset += 10;
  if (nowMs !== prefixMs) {
    const time = Math.floor(nowMs).toString(16).padStart(12, '0');
    prefix = `${time.slice(0, 8)}-${time.slice(8, 12)}-7`;
    prefixMs = nowMs;
  }
  return (
    `${prefix}${(r[o] & 0x0f).toString(16)}${HEX[r[o + 1]]}-` +
    `${HEX[(r[o + 2] & 0x3f) | 0x80]}${HEX[r[o + 3]]}-` +
    `${HEX[r[o + 4]]}${HEX[r[o + 5]]}${HEX[r[o + 6]]}${HEX[r[o + 7]]}${HEX[r[o + 8]]}${HEX[r[o + 9]]}`
  );
}

/** URL-safe random token with `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Constant-time string comparison (false on length mismatch without leaking where). */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}

/**
 * Orders strings by UTF-16 code units (`<`), which for lower-case ids is PostgreSQL's order of
 * `uuid` and of `COLLATE "C"` text: rows sent in this order are locked in primary-key order.
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Char codes below 128 that are hex digits (either case). */
const IS_HEX = new Uint8Array(128);
for (const digit of '0123456789abcdefABCDEF') IS_HEX[digit.charCodeAt(0)] = 1;
const DASH = 45;

/**
 * `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in hex digits of either case. A loop over char codes:
 * the worker checks every call's request id, and the equivalent regular expression took ~140 ns
 * an id (docs/benchmarks.md "The seventeenth machine").
 */
export function isUuid(value: string): boolean {
  if (value.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const code = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (code !== DASH) return false;
    } else if (code >= 128 || IS_HEX[code] === 0) return false;
  }
  return true;
}
