import type { CredentialLocation, ListingStatus, ListingVisibility } from './api-listing.entity';

/**
 * Input rules of an API listing, shared by ListingsService (the authority) and the api's DTOs
 * (which answer the same rules as `validation_failed` before the service is reached).
 */
export const LISTING_LIMITS = {
  nameMax: 100,
  slugMin: 3,
  slugMax: 64,
  summaryMax: 300,
  descriptionMax: 50_000,
  tagsMax: 10,
  tagMax: 30,
  urlMax: 2048,
  timeoutMinMs: 1000,
  timeoutMaxMs: 120_000,
  timeoutDefaultMs: 30_000,
  credentialNameMax: 128,
  credentialValueMax: 4096,
  deprecationMessageMax: 1000,
  invitationsMax: 1000,
  emailMax: 254,
  /** 30 days. */
  proxySecretGraceMaxSeconds: 30 * 24 * 3600,
  proxySecretGraceDefaultSeconds: 24 * 3600,
} as const;

export const LISTING_VISIBILITIES: readonly ListingVisibility[] = ['public', 'private'];
export const LISTING_STATUSES: readonly ListingStatus[] = [
  'draft',
  'pending_approval',
  'published',
  'deprecated',
  'retired',
];
export const CREDENTIAL_LOCATIONS: readonly CredentialLocation[] = ['header', 'query'];

/** Lower-case letters, digits and hyphens, 3–64 characters, starting and ending with a letter or digit. */
export const LISTING_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{1,62})[a-z0-9]$/;
export const LISTING_SLUG_RULE =
  'must be 3–64 lower-case letters, digits or hyphens, starting and ending with a letter or digit';

/**
 * Slugs the gateway (`{GATEWAY_URL}/{slug}/…`), the api or the web UI use for themselves, or that
 * would read as Portico's own.
 */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  'health',
  'ready',
  'metrics',
  'docs',
  'openapi',
  'v1',
  'v2',
  'v3',
  'api',
  'apis',
  'admin',
  'static',
  'assets',
  'public',
  'auth',
  'login',
  'logout',
  'signup',
  'account',
  'provider',
  'providers',
  'webhooks',
  'status',
  'gateway',
  'portico',
  'www',
  'mock',
  'sandbox',
  'internal',
  'favicon-ico',
  'robots-txt',
]);

export const TAG_PATTERN = /^[a-z0-9-]{1,30}$/;
export const TAG_RULE = 'must be 1–30 lower-case letters, digits or hyphens';

/** RFC 9110 token: what an HTTP field name may be made of. */
export const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A query parameter name the gateway can append without encoding surprises. */
export const QUERY_NAME_PATTERN = /^[A-Za-z0-9._~-]+$/;

/**
 * Headers a provider's credential may not use: hop-by-hop (RFC 9110 §7.6.1), framing and routing
 * headers the gateway owns, and what the gateway sets itself (X-Portico-*, X-Forwarded-*).
 */
const FORBIDDEN_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'content-type',
  'content-encoding',
  'expect',
  'forwarded',
  'via',
  'x-real-ip',
  'x-request-id',
  'http2-settings',
]);

/** A header field value the gateway can send as is: visible ASCII, inner spaces, nothing else. */
const HEADER_VALUE_PATTERN = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
// eslint-disable-next-line no-control-regex
const QUERY_VALUE_FORBIDDEN = /[\x00-\x1f\x7f]/;

export type RuleResult = { ok: true } | { ok: false; field: string; reason: string };

const ok: RuleResult = { ok: true };
const fail = (field: string, reason: string): RuleResult => ({ ok: false, field, reason });

export function checkListingSlug(slug: string): RuleResult {
  if (!LISTING_SLUG_PATTERN.test(slug)) return fail('slug', LISTING_SLUG_RULE);
  if (RESERVED_SLUGS.has(slug))
    return fail(
      'slug',
      `"${slug}" is reserved by Portico (the gateway serves APIs at /{slug}); choose another`,
    );
  return ok;
}

export function checkText(field: string, value: string, max: number, required: boolean): RuleResult {
  if (required && value.trim().length === 0) return fail(field, 'must not be empty');
  if (value.length > max) return fail(field, `must be at most ${max} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(value))
    return fail(field, 'must not contain control characters');
  return ok;
}

/** Lower-cases, trims and de-duplicates tags (in order), or says which rule one breaks. */
export function normaliseTags(
  tags: readonly string[],
): { ok: true; tags: string[] } | { ok: false; field: string; reason: string } {
  const seen = new Set<string>();
  for (const raw of tags) {
    const tag = raw.trim().toLowerCase();
    if (!TAG_PATTERN.test(tag))
      return { ok: false, field: 'tags', reason: `"${raw.slice(0, 40)}" ${TAG_RULE}` };
    seen.add(tag);
  }
  if (seen.size > LISTING_LIMITS.tagsMax)
    return { ok: false, field: 'tags', reason: `at most ${LISTING_LIMITS.tagsMax} tags` };
  return { ok: true, tags: [...seen] };
}

/** A link shown on the listing page (logo, website, terms): absolute http(s), no credentials, ≤ 2048. */
export function checkLinkUrl(field: string, url: string): RuleResult {
  if (url.length > LISTING_LIMITS.urlMax)
    return fail(field, `must be at most ${LISTING_LIMITS.urlMax} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f\\]/.test(url))
    return fail(field, 'must not contain spaces, backslashes or control characters');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(field, 'must be an absolute http(s) URL');
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !/^https?:\/\//i.test(url))
    return fail(field, 'must be an absolute http(s) URL');
  if (parsed.username || parsed.password) return fail(field, 'must not contain a user name or password');
  return ok;
}

export function checkTimeout(timeoutMs: number): RuleResult {
  if (
    !Number.isInteger(timeoutMs) ||
    timeoutMs < LISTING_LIMITS.timeoutMinMs ||
    timeoutMs > LISTING_LIMITS.timeoutMaxMs
  ) {
    return fail(
      'upstreamTimeoutMs',
      `must be a whole number of milliseconds from ${LISTING_LIMITS.timeoutMinMs} to ${LISTING_LIMITS.timeoutMaxMs}`,
    );
  }
  return ok;
}

export interface CredentialInput {
  location: CredentialLocation;
  name: string;
  value: string;
}

/**
 * The provider's upstream credential the gateway injects: a header that is a valid token and none
 * of the headers the gateway owns, or a query parameter; a value without CR, LF or other control
 * characters (a header value must be visible ASCII, so it cannot smuggle a second header).
 */
export function checkCredential(credential: CredentialInput): RuleResult {
  const { location, name, value } = credential;
  if (!CREDENTIAL_LOCATIONS.includes(location))
    return fail('credential.location', 'must be "header" or "query"');
  if (name.length === 0 || name.length > LISTING_LIMITS.credentialNameMax) {
    return fail('credential.name', `must be 1–${LISTING_LIMITS.credentialNameMax} characters`);
  }
  if (/[\r\n]/.test(name) || /[\r\n]/.test(value))
    return fail(/[\r\n]/.test(name) ? 'credential.name' : 'credential.value', 'must not contain CR or LF');
  if (location === 'header') {
    if (!HEADER_NAME_PATTERN.test(name))
      return fail(
        'credential.name',
        "must be a valid HTTP header name (letters, digits and !#$%&'*+.^_`|~-)",
      );
    const lower = name.toLowerCase();
    if (
      FORBIDDEN_HEADERS.has(lower) ||
      lower.startsWith('x-portico-') ||
      lower.startsWith('x-forwarded-') ||
      lower.startsWith('sec-')
    ) {
      return fail(
        'credential.name',
        `"${name}" is a header the gateway manages itself (hop-by-hop, framing, forwarding or X-Portico-*); use another header`,
      );
    }
  } else if (!QUERY_NAME_PATTERN.test(name)) {
    return fail('credential.name', 'must be a query parameter name made of letters, digits and ._~-');
  }
  if (value.length === 0 || value.length > LISTING_LIMITS.credentialValueMax) {
    return fail('credential.value', `must be 1–${LISTING_LIMITS.credentialValueMax} characters`);
  }
  const valid = location === 'header' ? HEADER_VALUE_PATTERN.test(value) : !QUERY_VALUE_FORBIDDEN.test(value);
  if (!valid) {
    return fail(
      'credential.value',
      location === 'header'
        ? 'must be visible ASCII characters (spaces allowed inside), without leading or trailing whitespace or control characters'
        : 'must not contain control characters',
    );
  }
  return ok;
}

/** Additional authenticated data of a sealed credential: the ciphertext opens only on its own listing row. */
export function credentialAad(apiId: string): string {
  return `api_listings.credential:${apiId}`;
}

/** The last four characters shown to the owner, or null when the value is too short to show any of it. */
export function credentialLastFour(value: string): string | null {
  return value.length >= 12 ? value.slice(-4) : null;
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normaliseEmail(
  email: string,
): { ok: true; email: string } | { ok: false; field: string; reason: string } {
  const trimmed = email.trim().toLowerCase();
  if (trimmed.length > LISTING_LIMITS.emailMax || !EMAIL_PATTERN.test(trimmed))
    return { ok: false, field: 'email', reason: 'must be an email address' };
  return { ok: true, email: trimmed };
}
