import { Decimal } from 'decimal.js';
import { minorUnitDigits } from './currencies';
import type { PlanVisibility, QuotaMode, QuotaPeriod, RateLimit } from './plan.entity';

/**
 * Input rules of a pricing plan, shared by PlansService (the authority) and the api's DTOs (which
 * answer the type-level part as `validation_failed` before the service is reached). Pure functions:
 * no I/O, no floats for money (decimal.js and BigInt only).
 */
export const PLAN_LIMITS = {
  nameMax: 50,
  descriptionMax: 500,
  /** PostgreSQL bigint's maximum: the column holds it, nothing larger. */
  priceAmountMinorMax: 9_223_372_036_854_775_807n,
  quotaLimitMax: 1_000_000_000_000,
  /** numeric(20,10): up to 10 integer digits and 10 decimal places. */
  overageIntegerDigitsMax: 10,
  overageDecimalPlacesMax: 10,
  rateLimit: { perSecond: 10_000, perMinute: 600_000, perHour: 36_000_000, burst: 10_000 },
  endpointKeysMax: 2_000,
  endpointKeyLengthMax: 1_100,
  weightMin: 1,
  weightMax: 1_000,
  trialDaysMax: 365,
  sortOrderMin: 0,
  sortOrderMax: 10_000,
  /** Active plans per API (superseded and archived versions do not count). */
  activePlansPerApi: 100,
  invitationsPerRequest: 100,
  invitationsPerPlan: 1_000,
  emailMax: 254,
} as const;

export const RATE_LIMIT_WINDOWS = ['perSecond', 'perMinute', 'perHour'] as const;
export const RATE_LIMIT_KEYS = [...RATE_LIMIT_WINDOWS, 'burst'] as const;
export type RateLimitKey = (typeof RATE_LIMIT_KEYS)[number];

export const ENDPOINT_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
/** "METHOD /path/{template}" exactly as the endpoint list shows it: upper-case method, one space, a path. */
export const ENDPOINT_KEY_PATTERN = new RegExp(`^(?:${ENDPOINT_METHODS.join('|')}) /\\S*$`);
export const ENDPOINT_KEY_RULE =
  'must be "METHOD /path" (upper-case method, one space, the path template, e.g. "GET /search")';

const PRICE_PATTERN = /^\d+$/;
const OVERAGE_PATTERN = new RegExp(
  `^\\d{1,${PLAN_LIMITS.overageIntegerDigitsMax}}(?:\\.\\d{1,${PLAN_LIMITS.overageDecimalPlacesMax}})?$`,
);
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface FieldProblem {
  field: string;
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** Every field that defines a plan, in the canonical form it is stored in. */
export interface PlanFields {
  name: string;
  description: string;
  sortOrder: number;
  visibility: PlanVisibility;
  approvalRequired: boolean;
  trialDays: number;
  /** Integer minor units, decimal digits without sign or leading zeros. */
  priceAmountMinor: string;
  currency: string;
  quotaPeriod: QuotaPeriod;
  /** Integer string, or null = unlimited. */
  quotaLimit: string | null;
  quotaMode: QuotaMode;
  /** Canonical decimal (no trailing zeros), set exactly when quotaMode is soft. */
  overageUnitPriceMinor: string | null;
  rateLimit: RateLimit;
  /** Sorted, distinct; null = every endpoint. */
  includedEndpoints: string[] | null;
  endpointWeights: Record<string, number>;
  endpointRateLimits: Record<string, RateLimit>;
}

/** What a provider sends (create: `name` required; update: any subset). */
export interface PlanInput {
  name?: string;
  description?: string;
  sortOrder?: number;
  visibility?: PlanVisibility;
  approvalRequired?: boolean;
  trialDays?: number;
  priceAmountMinor?: number | string;
  currency?: string;
  quotaPeriod?: QuotaPeriod;
  quotaLimit?: number | null;
  quotaMode?: QuotaMode;
  overageUnitPriceMinor?: string | null;
  rateLimit?: RateLimit;
  includedEndpoints?: string[] | null;
  endpointWeights?: Record<string, number>;
  endpointRateLimits?: Record<string, RateLimit>;
}

/**
 * The three groups of plan fields (the versioning rule, README "Plans"):
 * - terms: what a subscription pays and gets. Changing them on a live plan makes a new version.
 * - admission: who may newly subscribe and how (private + invitations, approval, trial length).
 *   They never change an existing subscription, so they are edited in place.
 * - presentation: name, description, order on the pricing page. Edited in place.
 */
export const TERM_FIELDS = [
  'priceAmountMinor',
  'currency',
  'quotaPeriod',
  'quotaLimit',
  'quotaMode',
  'overageUnitPriceMinor',
  'rateLimit',
  'includedEndpoints',
  'endpointWeights',
  'endpointRateLimits',
] as const satisfies readonly (keyof PlanFields)[];
export const ADMISSION_FIELDS = [
  'visibility',
  'approvalRequired',
  'trialDays',
] as const satisfies readonly (keyof PlanFields)[];
export const PRESENTATION_FIELDS = [
  'name',
  'description',
  'sortOrder',
] as const satisfies readonly (keyof PlanFields)[];

export type TermField = (typeof TERM_FIELDS)[number];

/** The free plan every new API starts with (editable like any other plan). */
export const DEFAULT_FREE_PLAN: PlanFields = Object.freeze({
  name: 'Basic',
  description: 'Free plan to try the API: 1,000 calls a month, 5 requests a second.',
  sortOrder: 0,
  visibility: 'public',
  approvalRequired: false,
  trialDays: 0,
  priceAmountMinor: '0',
  currency: 'USD',
  quotaPeriod: 'month',
  quotaLimit: '1000',
  quotaMode: 'hard',
  overageUnitPriceMinor: null,
  rateLimit: Object.freeze({ perSecond: 5 }),
  includedEndpoints: null,
  endpointWeights: Object.freeze({}),
  endpointRateLimits: Object.freeze({}),
});

/** Starting point of a plan created through the API: free, unlimited calls, no rate limit of its own. */
export const NEW_PLAN_BASE: Omit<PlanFields, 'name'> = Object.freeze({
  description: '',
  sortOrder: 0,
  visibility: 'public',
  approvalRequired: false,
  trialDays: 0,
  priceAmountMinor: '0',
  currency: 'USD',
  quotaPeriod: 'month',
  quotaLimit: null,
  quotaMode: 'hard',
  overageUnitPriceMinor: null,
  rateLimit: Object.freeze({}),
  includedEndpoints: null,
  endpointWeights: Object.freeze({}),
  endpointRateLimits: Object.freeze({}),
});

// ---- single values ------------------------------------------------------------------------------

/**
 * A monthly price in minor units: a non-negative integer, as a JSON number (safe integer) or a
 * string of digits (for amounts past 2^53), at most PostgreSQL's bigint maximum.
 */
export function parseMinorAmount(value: unknown): Parsed<string> {
  let amount: bigint;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0)
      return {
        ok: false,
        message: 'must be a non-negative integer number of minor units (send a string of digits above 2^53)',
      };
    amount = BigInt(value);
  } else if (typeof value === 'string') {
    if (!PRICE_PATTERN.test(value) || value.length > 19)
      return {
        ok: false,
        message: 'must be a string of digits: a non-negative integer number of minor units',
      };
    amount = BigInt(value);
  } else {
    return {
      ok: false,
      message: 'must be a non-negative integer number of minor units, as a number or a string of digits',
    };
  }
  if (amount > PLAN_LIMITS.priceAmountMinorMax)
    return {
      ok: false,
      message: `must be at most ${PLAN_LIMITS.priceAmountMinorMax.toString()} minor units`,
    };
  return { ok: true, value: amount.toString() };
}

/** An ISO 4217 code from the supported list, upper-case. */
export function parseCurrency(value: unknown): Parsed<string> {
  if (typeof value !== 'string' || !/^[A-Z]{3}$/.test(value))
    return { ok: false, message: 'must be an upper-case ISO 4217 currency code such as USD, EUR or JPY' };
  if (minorUnitDigits(value) === undefined)
    return {
      ok: false,
      message: `${value} is not a supported currency (an ISO 4217 currency with a minor unit)`,
    };
  return { ok: true, value };
}

/**
 * A per-call overage price in minor units as an exact decimal string ("0.05" = five hundredths of
 * a cent in USD, of a yen in JPY): greater than zero, up to 10 integer digits and 10 decimal
 * places. Numbers are refused: a JSON float cannot carry 0.1 exactly.
 */
export function parseOverageUnitPrice(value: unknown): Parsed<string> {
  if (typeof value !== 'string')
    return {
      ok: false,
      message: 'must be a decimal string such as "0.05" (minor units per call), not a number',
    };
  if (!OVERAGE_PATTERN.test(value))
    return {
      ok: false,
      message: `must be a plain decimal with at most ${PLAN_LIMITS.overageIntegerDigitsMax} integer digits and ${PLAN_LIMITS.overageDecimalPlacesMax} decimal places, e.g. "0.05"`,
    };
  const price = new Decimal(value);
  if (price.lte(0))
    return {
      ok: false,
      message: 'must be greater than zero (a free overage is an unlimited quota: use quotaLimit null)',
    };
  return { ok: true, value: price.toFixed() };
}

/** Canonical form of a stored numeric (PostgreSQL answers "0.0500000000"). */
export function canonicalDecimal(value: string): string {
  return new Decimal(value).toFixed();
}

export function parseQuotaLimit(value: unknown): Parsed<string | null> {
  if (value === null) return { ok: true, value: null };
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < 1 ||
    value > PLAN_LIMITS.quotaLimitMax
  )
    return {
      ok: false,
      message: `must be an integer from 1 to ${PLAN_LIMITS.quotaLimitMax}, or null for unlimited`,
    };
  return { ok: true, value: String(value) };
}

export function parseEndpointKey(value: unknown): Parsed<string> {
  if (
    typeof value !== 'string' ||
    value.length > PLAN_LIMITS.endpointKeyLengthMax ||
    !ENDPOINT_KEY_PATTERN.test(value)
  )
    return { ok: false, message: ENDPOINT_KEY_RULE };
  return { ok: true, value };
}

export function normalizeEmail(value: string): Parsed<string> {
  const email = value.trim().toLowerCase();
  if (email.length > PLAN_LIMITS.emailMax || !EMAIL_PATTERN.test(email))
    return { ok: false, message: 'must be an email address' };
  return { ok: true, value: email };
}

/**
 * A rate limit `{perSecond?, perMinute?, perHour?, burst?}`: positive integers within
 * PLAN_LIMITS.rateLimit; a longer window may not allow fewer requests than a shorter one
 * (perSecond ≤ perMinute ≤ perHour, for those set), and `burst` (extra requests above perSecond
 * in a burst) needs perSecond. `{}` means no limit of its own (allowed for the plan, not for an
 * endpoint: `requireOne`).
 */
export function checkRateLimit(value: unknown, field: string, requireOne = false): FieldProblem[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [{ field, message: 'must be an object {perSecond?, perMinute?, perHour?, burst?}' }];
  const problems: FieldProblem[] = [];
  const entries = Object.entries(value as Record<string, unknown>);
  const limit: Partial<Record<RateLimitKey, number>> = {};
  for (const [key, raw] of entries) {
    if (raw === undefined) continue;
    if (!(RATE_LIMIT_KEYS as readonly string[]).includes(key)) {
      problems.push({
        field: `${field}.${key}`,
        message: 'is not a rate limit field (perSecond, perMinute, perHour, burst)',
      });
      continue;
    }
    const max = PLAN_LIMITS.rateLimit[key as RateLimitKey];
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > max) {
      problems.push({ field: `${field}.${key}`, message: `must be an integer from 1 to ${max}` });
      continue;
    }
    limit[key as RateLimitKey] = raw;
  }
  if (problems.length > 0) return problems;
  const windows = RATE_LIMIT_WINDOWS.filter((w) => limit[w] !== undefined);
  if (requireOne && windows.length === 0)
    problems.push({ field, message: 'must set at least one of perSecond, perMinute, perHour' });
  for (let i = 1; i < windows.length; i += 1) {
    const shorter = windows[i - 1];
    const longer = windows[i];
    if (limit[longer]! < limit[shorter]!)
      problems.push({
        field: `${field}.${longer}`,
        message: `must be at least ${shorter} (${limit[shorter]}): a longer window cannot allow fewer requests`,
      });
  }
  if (limit.burst !== undefined && limit.perSecond === undefined)
    problems.push({
      field: `${field}.burst`,
      message: 'needs perSecond: burst is the extra requests allowed above perSecond',
    });
  return problems;
}

/** The rate limit with its keys in a stable order (only the ones set). */
function canonicalRateLimit(value: RateLimit): RateLimit {
  const out: RateLimit = {};
  for (const key of RATE_LIMIT_KEYS) if (value[key] !== undefined) out[key] = value[key];
  return out;
}

function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, record[key]]),
  );
}

// ---- the whole plan -----------------------------------------------------------------------------

export type Resolved = { ok: true; fields: PlanFields } | { ok: false; problems: FieldProblem[] };

/**
 * Checks a `"METHOD /path"` → value map (endpoint weights, endpoint rate limits): an object, at
 * most PLAN_LIMITS.endpointKeysMax keys, each a valid endpoint key, each value accepted by
 * `checkEntry`. Pushes problems and returns the map when it is entirely valid, else null.
 */
function checkEndpointMap(
  field: string,
  value: unknown,
  shape: string,
  checkEntry: (entry: unknown, entryField: string) => FieldProblem[],
  problems: FieldProblem[],
): Record<string, unknown> | null {
  if (!isRecord(value)) {
    problems.push({ field, message: `must be an object of ${shape}` });
    return null;
  }
  const keys = Object.keys(value);
  const before = problems.length;
  if (keys.length > PLAN_LIMITS.endpointKeysMax)
    problems.push({ field, message: `must have at most ${PLAN_LIMITS.endpointKeysMax} entries` });
  const badKeys = keys.filter((key) => !parseEndpointKey(key).ok);
  if (badKeys.length > 0)
    problems.push({ field, message: `keys ${ENDPOINT_KEY_RULE}; not valid: ${describeKeys(badKeys)}` });
  for (const key of keys.filter((k) => parseEndpointKey(k).ok))
    problems.push(...checkEntry(value[key], `${field}.${key}`));
  return problems.length === before ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Applies `input` onto `base` (the current plan, or NEW_PLAN_BASE for a new one) and checks the
 * result as a whole. Cross-field rules:
 * - soft quota ⇔ overageUnitPriceMinor set; soft needs a quotaLimit (an unlimited plan has no overage).
 *   Switching to hard without mentioning the overage price drops the inherited one.
 * - weights and endpoint rate limits only for endpoints the plan includes (when it lists them).
 * Checking the keys against the API's current endpoints needs I/O: `unknownEndpointKeys`.
 */
export function resolvePlanFields(
  base: Omit<PlanFields, 'name'> & { name?: string },
  input: PlanInput,
): Resolved {
  const problems: FieldProblem[] = [];
  const next = { ...base } as PlanFields;
  const take = <T>(field: keyof PlanInput, parsed: Parsed<T>, assign: (value: T) => void): void => {
    if (parsed.ok) assign(parsed.value);
    else problems.push({ field, message: parsed.message });
  };

  if (input.name !== undefined) {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (name.length === 0) problems.push({ field: 'name', message: 'must not be empty' });
    else if (name.length > PLAN_LIMITS.nameMax)
      problems.push({ field: 'name', message: `must be at most ${PLAN_LIMITS.nameMax} characters` });
    else next.name = name;
  } else if (next.name === undefined) {
    problems.push({ field: 'name', message: 'is required' });
  }
  if (input.description !== undefined) {
    if (typeof input.description !== 'string' || input.description.length > PLAN_LIMITS.descriptionMax)
      problems.push({
        field: 'description',
        message: `must be a string of at most ${PLAN_LIMITS.descriptionMax} characters`,
      });
    else next.description = input.description.trim();
  }
  if (input.sortOrder !== undefined) {
    const v = input.sortOrder;
    if (!Number.isInteger(v) || v < PLAN_LIMITS.sortOrderMin || v > PLAN_LIMITS.sortOrderMax)
      problems.push({
        field: 'sortOrder',
        message: `must be an integer from ${PLAN_LIMITS.sortOrderMin} to ${PLAN_LIMITS.sortOrderMax}`,
      });
    else next.sortOrder = v;
  }
  if (input.visibility !== undefined) {
    if (input.visibility !== 'public' && input.visibility !== 'private')
      problems.push({ field: 'visibility', message: 'must be public or private' });
    else next.visibility = input.visibility;
  }
  if (input.approvalRequired !== undefined) {
    if (typeof input.approvalRequired !== 'boolean')
      problems.push({ field: 'approvalRequired', message: 'must be a boolean' });
    else next.approvalRequired = input.approvalRequired;
  }
  if (input.trialDays !== undefined) {
    const v = input.trialDays;
    if (!Number.isInteger(v) || v < 0 || v > PLAN_LIMITS.trialDaysMax)
      problems.push({
        field: 'trialDays',
        message: `must be an integer from 0 to ${PLAN_LIMITS.trialDaysMax}`,
      });
    else next.trialDays = v;
  }
  if (input.priceAmountMinor !== undefined)
    take('priceAmountMinor', parseMinorAmount(input.priceAmountMinor), (v) => (next.priceAmountMinor = v));
  if (input.currency !== undefined)
    take('currency', parseCurrency(input.currency), (v) => (next.currency = v));
  if (input.quotaPeriod !== undefined) {
    if (input.quotaPeriod !== 'month' && input.quotaPeriod !== 'day')
      problems.push({ field: 'quotaPeriod', message: 'must be month or day' });
    else next.quotaPeriod = input.quotaPeriod;
  }
  if (input.quotaLimit !== undefined)
    take('quotaLimit', parseQuotaLimit(input.quotaLimit), (v) => (next.quotaLimit = v));
  if (input.quotaMode !== undefined) {
    if (input.quotaMode !== 'hard' && input.quotaMode !== 'soft')
      problems.push({ field: 'quotaMode', message: 'must be hard or soft' });
    else {
      next.quotaMode = input.quotaMode;
      if (input.quotaMode === 'hard' && input.overageUnitPriceMinor === undefined)
        next.overageUnitPriceMinor = null;
    }
  }
  if (input.overageUnitPriceMinor !== undefined) {
    if (input.overageUnitPriceMinor === null) next.overageUnitPriceMinor = null;
    else
      take(
        'overageUnitPriceMinor',
        parseOverageUnitPrice(input.overageUnitPriceMinor),
        (v) => (next.overageUnitPriceMinor = v),
      );
  }
  if (input.rateLimit !== undefined) {
    const found = checkRateLimit(input.rateLimit, 'rateLimit');
    if (found.length > 0) problems.push(...found);
    else next.rateLimit = canonicalRateLimit(input.rateLimit);
  }
  if (input.includedEndpoints !== undefined) {
    const list = input.includedEndpoints;
    if (list === null) next.includedEndpoints = null;
    else if (!Array.isArray(list))
      problems.push({
        field: 'includedEndpoints',
        message: 'must be a list of "METHOD /path" keys, or null for every endpoint',
      });
    else if (list.length === 0)
      problems.push({
        field: 'includedEndpoints',
        message: 'must list at least one endpoint, or be null for every endpoint',
      });
    else if (list.length > PLAN_LIMITS.endpointKeysMax)
      problems.push({
        field: 'includedEndpoints',
        message: `must list at most ${PLAN_LIMITS.endpointKeysMax} endpoints`,
      });
    else {
      const bad = list.filter((key) => !parseEndpointKey(key).ok);
      if (bad.length > 0)
        problems.push({
          field: 'includedEndpoints',
          message: `${ENDPOINT_KEY_RULE}; not valid: ${describeKeys(bad)}`,
        });
      else next.includedEndpoints = [...new Set(list)].sort();
    }
  }
  if (input.endpointWeights !== undefined) {
    const weights = checkEndpointMap(
      'endpointWeights',
      input.endpointWeights,
      '"METHOD /path" → integer units',
      (value, field) =>
        typeof value === 'number' &&
        Number.isInteger(value) &&
        value >= PLAN_LIMITS.weightMin &&
        value <= PLAN_LIMITS.weightMax
          ? []
          : [
              {
                field,
                message: `must be an integer from ${PLAN_LIMITS.weightMin} to ${PLAN_LIMITS.weightMax} (billing units per call)`,
              },
            ],
      problems,
    );
    if (weights) next.endpointWeights = sortedRecord(weights as Record<string, number>);
  }
  if (input.endpointRateLimits !== undefined) {
    const limits = checkEndpointMap(
      'endpointRateLimits',
      input.endpointRateLimits,
      '"METHOD /path" → rate limit',
      (value, field) => checkRateLimit(value, field, true),
      problems,
    );
    if (limits)
      next.endpointRateLimits = sortedRecord(
        Object.fromEntries(
          Object.entries(limits).map(([key, limit]) => [key, canonicalRateLimit(limit as RateLimit)]),
        ),
      );
  }
  if (problems.length > 0) return { ok: false, problems };

  // cross-field rules on the merged plan
  if (next.quotaMode === 'soft') {
    if (next.overageUnitPriceMinor === null)
      problems.push({
        field: 'overageUnitPriceMinor',
        message: 'is required when quotaMode is soft: the price of each call over the quota, e.g. "0.05"',
      });
    if (next.quotaLimit === null)
      problems.push({
        field: 'quotaLimit',
        message: 'is required when quotaMode is soft: overage starts after the quota',
      });
  } else if (next.overageUnitPriceMinor !== null) {
    problems.push({
      field: 'overageUnitPriceMinor',
      message: 'must be null when quotaMode is hard: calls over a hard quota are refused, never billed',
    });
  }
  if (next.includedEndpoints !== null) {
    const included = new Set(next.includedEndpoints);
    const strayWeights = Object.keys(next.endpointWeights).filter((key) => !included.has(key));
    if (strayWeights.length > 0)
      problems.push({
        field: 'endpointWeights',
        message: `names endpoints the plan does not include: ${describeKeys(strayWeights)}`,
      });
    const strayLimits = Object.keys(next.endpointRateLimits).filter((key) => !included.has(key));
    if (strayLimits.length > 0)
      problems.push({
        field: 'endpointRateLimits',
        message: `names endpoints the plan does not include: ${describeKeys(strayLimits)}`,
      });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, fields: next };
}

/** Lists keys for a message, bounded so a 2,000-key mistake does not make a 100 kB error. */
export function describeKeys(keys: readonly string[], max = 20): string {
  const shown = keys
    .slice(0, max)
    .map((key) => JSON.stringify(key.length > 120 ? `${key.slice(0, 117)}...` : key));
  return keys.length > max ? `${shown.join(', ')} and ${keys.length - max} more` : shown.join(', ');
}

/**
 * Endpoint keys the input names (in the fields it sends) that the API's current version does not
 * have, grouped by field. Only fields present in `input` are checked, so a rename does not fail
 * because an older version's endpoint is still listed.
 */
export function unknownEndpointKeys(input: PlanInput, known: ReadonlySet<string>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const report = (field: string, keys: string[]): void => {
    const unknown = keys.filter((key) => !known.has(key));
    if (unknown.length > 0)
      problems.push({
        field,
        message: `names endpoints the API's current version does not have: ${describeKeys(unknown)}`,
      });
  };
  if (Array.isArray(input.includedEndpoints)) report('includedEndpoints', input.includedEndpoints);
  if (isRecord(input.endpointWeights)) report('endpointWeights', Object.keys(input.endpointWeights));
  if (isRecord(input.endpointRateLimits)) report('endpointRateLimits', Object.keys(input.endpointRateLimits));
  return problems;
}

// ---- money and the versioning rule -------------------------------------------------------------

/** A plan costs money when it has a monthly price or bills overage. */
export function isPaid(fields: Pick<PlanFields, 'priceAmountMinor' | 'quotaMode'>): boolean {
  return BigInt(fields.priceAmountMinor) > 0n || fields.quotaMode === 'soft';
}

/** Minor units as a plain decimal in the currency's major unit: USD 1999 → "19.99", JPY 1000 → "1000", KWD 1 → "0.001". */
export function formatMinorAmount(amountMinor: string, currency: string): string {
  const digits = minorUnitDigits(currency) ?? 2;
  return new Decimal(amountMinor).div(new Decimal(10).pow(digits)).toFixed(digits);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value))
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** The fields whose value differs between two canonical plans. */
export function changedFields(before: PlanFields, after: PlanFields): (keyof PlanFields)[] {
  return (Object.keys(after) as (keyof PlanFields)[]).filter(
    (key) => canonicalJson(before[key]) !== canonicalJson(after[key]),
  );
}

export type EditDecision = 'unchanged' | 'in_place' | 'new_version';

/**
 * The versioning rule. A plan is frozen once anyone may hold it: when its listing has been
 * published (it was visible on the marketplace) or a subscription references it. A change to its
 * terms then makes a new version; admission and presentation fields always edit in place, and so
 * does anything on a plan nobody could have subscribed to yet.
 */
export function decideEdit(
  changed: readonly (keyof PlanFields)[],
  frozen: { listingLive: boolean; hasSubscribers: boolean },
): EditDecision {
  if (changed.length === 0) return 'unchanged';
  const termsChanged = changed.some((field) => (TERM_FIELDS as readonly string[]).includes(field));
  return termsChanged && (frozen.listingLive || frozen.hasSubscribers) ? 'new_version' : 'in_place';
}
