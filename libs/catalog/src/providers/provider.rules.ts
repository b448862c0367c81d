/**
 * Input rules of a provider profile, shared by ProvidersService (the authority) and the api's DTOs
 * (which answer the same rules as `validation_failed` before the service is reached).
 */
export const PROVIDER_LIMITS = {
  slugMin: 3,
  slugMax: 64,
  displayNameMax: 100,
  supportEmailMax: 254,
  websiteUrlMax: 2048,
} as const;

/**
 * Lower-case letters, digits and hyphens, 3–64 characters, starting and ending with a letter or a
 * digit (so a slug reads well in a URL: `/providers/acme-data`).
 */
export const PROVIDER_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{1,62})[a-z0-9]$/;

export const PROVIDER_SLUG_RULE =
  'must be 3–64 lower-case letters, digits or hyphens, starting and ending with a letter or digit';

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type RuleResult = { ok: true } | { ok: false; field: string; reason: string };

const ok: RuleResult = { ok: true };
const fail = (field: string, reason: string): RuleResult => ({ ok: false, field, reason });

export function checkSlug(slug: string): RuleResult {
  return PROVIDER_SLUG_PATTERN.test(slug) ? ok : fail('slug', PROVIDER_SLUG_RULE);
}

export function checkDisplayName(name: string): RuleResult {
  const trimmed = name.trim();
  if (trimmed.length === 0) return fail('displayName', 'must not be empty');
  if (trimmed.length > PROVIDER_LIMITS.displayNameMax)
    return fail('displayName', `must be at most ${PROVIDER_LIMITS.displayNameMax} characters`);
  return ok;
}

export function checkSupportEmail(email: string): RuleResult {
  if (email.length > PROVIDER_LIMITS.supportEmailMax || !EMAIL_PATTERN.test(email))
    return fail('supportEmail', 'must be an email address');
  return ok;
}

/** An absolute http(s) URL without credentials. */
export function checkWebsiteUrl(url: string): RuleResult {
  if (url.length > PROVIDER_LIMITS.websiteUrlMax)
    return fail('websiteUrl', `must be at most ${PROVIDER_LIMITS.websiteUrlMax} characters`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('websiteUrl', 'must be an absolute http(s) URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return fail('websiteUrl', 'must be an absolute http(s) URL');
  if (parsed.username || parsed.password)
    return fail('websiteUrl', 'must not contain a user name or password');
  return ok;
}
