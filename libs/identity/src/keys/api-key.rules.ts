import { isIP, SocketAddress } from 'node:net';
import type { ApiKeyKind } from './api-key.entity';

/**
 * The rules every key setting obeys, as pure functions: the api's DTOs validate with them and
 * ApiKeysService re-checks and normalises with them, so a key written by any caller (api, seed,
 * CLI) holds only canonical values and the gateway can compare them as stored.
 */
export const KEY_LIMITS = {
  labelMaxLength: 100,
  maxScopes: 50,
  maxIpRules: 100,
  maxOrigins: 50,
  /** The longest single scope, IP rule or origin accepted. */
  maxEntryLength: 300,
} as const;

/** `*` (every API the consumer subscribes to) or `api:<slug>` (one API). */
export const SCOPE_PATTERN = /^(\*|api:[a-z0-9-]{1,64})$/;

export type RuleResult = { ok: true; value: string } | { ok: false; reason: string };

export interface KeySettingsInput {
  label?: string;
  scopes?: string[];
  ipAllowlist?: string[];
  allowedOrigins?: string[];
}

export interface FieldProblem {
  field: string;
  message: string;
}

export function isValidScope(value: string): boolean {
  return SCOPE_PATTERN.test(value);
}

/** Dedupes scopes, and collapses a list holding `*` to `['*']` (it already covers every API). */
export function normaliseScopes(scopes: readonly string[]): string[] {
  const unique = [...new Set(scopes)];
  return unique.includes('*') ? ['*'] : unique;
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map((part) => Number(part));
}

function ipv6Bytes(address: string): number[] {
  const groups = (text: string): number[] =>
    text === ''
      ? []
      : text.split(':').flatMap((part) => {
          if (!part.includes('.')) return [parseInt(part, 16)];
          const [a, b, c, d] = ipv4Bytes(part) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head = '', tail] = address.split('::');
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return all.flatMap((group) => [group >> 8, group & 0xff]);
}

function hostBitsSet(bytes: number[], prefix: number): boolean {
  return bytes.some((byte, index) => {
    const keep = Math.max(0, Math.min(8, prefix - index * 8));
    const mask = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    return (byte & ~mask & 0xff) !== 0;
  });
}

/**
 * One IP allowlist entry: a single IPv4/IPv6 address or a CIDR block, returned in canonical form
 * (`203.0.113.7` → `203.0.113.7/32`, `2001:DB8:0::/32` → `2001:db8::/32`, an IPv4-mapped IPv6
 * address → its IPv4 form). A block with bits set right of its mask (`10.0.0.1/8`) is refused
 * rather than silently widened or narrowed: the caller most likely mistyped one of the two halves.
 */
export function normaliseIpRule(input: string): RuleResult {
  const text = input.trim();
  const bad = (reason: string): RuleResult => ({ ok: false, reason: `"${input.slice(0, 60)}" ${reason}` });
  if (text.length === 0 || text.length > 64) return bad('is not an IP address or CIDR block');
  const parts = text.split('/');
  if (parts.length > 2) return bad('is not an IP address or CIDR block');
  const [address = '', prefixText] = parts;
  const family = address.includes('%') ? 0 : isIP(address);
  if (family === 0)
    return bad('is not an IPv4/IPv6 address or CIDR block (e.g. 203.0.113.0/24, 2001:db8::/32)');
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max)
      return bad(`has a prefix length outside 0–${max}`);
    prefix = Number(prefixText);
  }
  if (family === 4) {
    const bytes = ipv4Bytes(address);
    if (hostBitsSet(bytes, prefix))
      return bad(`has bits set right of the /${prefix} mask; write the network address of the block`);
    return { ok: true, value: `${bytes.join('.')}/${prefix}` };
  }
  const bytes = ipv6Bytes(address);
  if (hostBitsSet(bytes, prefix))
    return bad(`has bits set right of the /${prefix} mask; write the network address of the block`);
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped && prefix >= 96) return { ok: true, value: `${bytes.slice(12).join('.')}/${prefix - 96}` };
  return { ok: true, value: `${new SocketAddress({ address, family: 'ipv6' }).address}/${prefix}` };
}

const HOST_PATTERN = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * One allowed browser origin: `http(s)://host[:port]`, no path, query, fragment, credentials or
 * wildcard. Returned as the URL's serialised origin (lower-case host, default port dropped), the
 * exact form browsers send in the Origin header.
 */
export function normaliseOrigin(input: string): RuleResult {
  const bad: RuleResult = {
    ok: false,
    reason: `"${input.slice(0, 60)}" is not an origin like https://app.example.com or http://localhost:5173`,
  };
  const text = input.trim();
  if (text.length > KEY_LIMITS.maxEntryLength || !/^https?:\/\/[^/?#@\s]+\/?$/i.test(text)) return bad;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return bad;
  }
  const host = url.hostname;
  const hostOk =
    HOST_PATTERN.test(host) || (host.startsWith('[') && host.endsWith(']') && isIP(host.slice(1, -1)) === 6);
  if (!hostOk || url.username || url.password) return bad;
  return { ok: true, value: url.origin };
}

function listProblems(field: string, values: readonly string[] | undefined, max: number): FieldProblem[] {
  if (values === undefined) return [];
  const problems: FieldProblem[] = [];
  if (values.length > max) problems.push({ field, message: `at most ${max} entries` });
  if (values.some((value) => typeof value !== 'string' || value.length > KEY_LIMITS.maxEntryLength)) {
    problems.push({
      field,
      message: `entries must be strings of at most ${KEY_LIMITS.maxEntryLength} characters`,
    });
  }
  return problems;
}

/**
 * Checks and normalises the user-editable settings of a key of `kind`. Returns the canonical
 * values, or every problem found (field + message) so the caller can answer them all at once.
 */
export function normaliseKeySettings(
  kind: ApiKeyKind,
  input: KeySettingsInput,
): { ok: true; value: KeySettingsInput } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [
    ...listProblems('scopes', input.scopes, KEY_LIMITS.maxScopes),
    ...listProblems('ipAllowlist', input.ipAllowlist, KEY_LIMITS.maxIpRules),
    ...listProblems('allowedOrigins', input.allowedOrigins, KEY_LIMITS.maxOrigins),
  ];
  if (problems.length > 0) return { ok: false, problems };
  const value: KeySettingsInput = {};

  if (input.label !== undefined) {
    const label = input.label.trim();
    if (label.length === 0 || label.length > KEY_LIMITS.labelMaxLength) {
      problems.push({ field: 'label', message: `must be 1–${KEY_LIMITS.labelMaxLength} characters` });
    }
    value.label = label;
  }
  if (input.scopes !== undefined) {
    if (input.scopes.length === 0)
      problems.push({
        field: 'scopes',
        message: 'must hold at least one scope ("*" for every subscribed API)',
      });
    for (const scope of input.scopes) {
      if (!isValidScope(scope))
        problems.push({
          field: 'scopes',
          message: `"${scope.slice(0, 80)}" must be "*" or "api:<slug>" (slug: a-z, 0-9, "-", up to 64)`,
        });
    }
    value.scopes = normaliseScopes(input.scopes);
  }
  if (input.ipAllowlist !== undefined) {
    const rules: string[] = [];
    for (const entry of input.ipAllowlist) {
      const result = normaliseIpRule(entry);
      if (result.ok) rules.push(result.value);
      else problems.push({ field: 'ipAllowlist', message: result.reason });
    }
    value.ipAllowlist = [...new Set(rules)];
  }
  if (input.allowedOrigins !== undefined) {
    if (kind === 'secret' && input.allowedOrigins.length > 0) {
      problems.push({
        field: 'allowedOrigins',
        message:
          'only publishable keys are restricted to browser origins; a secret key must never be used from a browser',
      });
    }
    const origins: string[] = [];
    for (const entry of input.allowedOrigins) {
      const result = normaliseOrigin(entry);
      if (result.ok) origins.push(result.value);
      else problems.push({ field: 'allowedOrigins', message: result.reason });
    }
    value.allowedOrigins = [...new Set(origins)];
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}

/** What the owner sees in lists. `rotating`: replaced by a newer key, still valid until `revokedAt`. */
export type ApiKeyStatus = 'active' | 'expiring' | 'rotating' | 'expired' | 'revoked';

export interface ApiKeyLifecycle {
  revokedAt: Date | null;
  expiresAt: Date | null;
}

/**
 * Why a key cannot be used at `now`, or null while it can. A key is revoked once `revokedAt` has
 * passed — that includes a rotated key at the end of its grace period, because rotation schedules
 * the old key's revocation; it is expired once the `expiresAt` its owner chose has passed.
 * Revocation wins when both apply: it is the owner's deliberate act and the more useful message.
 */
export function keyRejection(
  key: ApiKeyLifecycle,
  now: Date,
  applicationDeleted = false,
): 'key_revoked' | 'key_expired' | null {
  if (applicationDeleted || (key.revokedAt !== null && key.revokedAt.getTime() <= now.getTime()))
    return 'key_revoked';
  if (key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime()) return 'key_expired';
  return null;
}

export function apiKeyStatus(key: ApiKeyLifecycle, now: Date): ApiKeyStatus {
  const rejection = keyRejection(key, now);
  if (rejection === 'key_revoked') return 'revoked';
  if (rejection === 'key_expired') return 'expired';
  if (key.revokedAt !== null) return 'rotating';
  return key.expiresAt !== null ? 'expiring' : 'active';
}
