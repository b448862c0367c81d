import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { CURRENCY_MINOR_UNITS, minorUnitDigits } from './currencies';
import {
  changedFields,
  checkRateLimit,
  decideEdit,
  DEFAULT_FREE_PLAN,
  formatMinorAmount,
  isPaid,
  NEW_PLAN_BASE,
  parseCurrency,
  parseMinorAmount,
  parseOverageUnitPrice,
  resolvePlanFields,
  unknownEndpointKeys,
  type PlanFields,
  type PlanInput,
  type Resolved,
} from './plan.rules';

function fields(result: Resolved): PlanFields {
  if (!result.ok) throw new Error(`expected a valid plan, got ${JSON.stringify(result.problems)}`);
  return result.fields;
}

function problems(result: Resolved): string[] {
  if (result.ok) throw new Error('expected problems, got a valid plan');
  return result.problems.map((p) => p.field);
}

const create = (input: PlanInput): Resolved => resolvePlanFields(NEW_PLAN_BASE, { name: 'Pro', ...input });

describe('plan money rules', () => {
  describe('priceAmountMinor', () => {
    it.each([
      [0, '0'],
      [1999, '1999'],
      ['1999', '1999'],
      ['0', '0'],
      ['007', '7'],
      [Number.MAX_SAFE_INTEGER, String(Number.MAX_SAFE_INTEGER)],
      ['9223372036854775807', '9223372036854775807'],
    ])('accepts %p as %p minor units', (input, expected) => {
      expect(parseMinorAmount(input)).toEqual({ ok: true, value: expected });
    });

    it.each([
      -1,
      1.5,
      Number.MAX_SAFE_INTEGER + 1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '-1',
      '1.5',
      '1e3',
      ' 12',
      '',
      '9223372036854775808',
      '99999999999999999999',
      null,
      true,
      [100],
      { amount: 100 },
    ])('refuses %p (negative, fractional, unsafe float, past bigint, not a number)', (input) => {
      expect(parseMinorAmount(input).ok).toBe(false);
    });
  });

  describe('currency', () => {
    it('knows the minor-unit digits of zero-, two- and three-decimal currencies', () => {
      expect(minorUnitDigits('JPY')).toBe(0);
      expect(minorUnitDigits('KRW')).toBe(0);
      expect(minorUnitDigits('USD')).toBe(2);
      expect(minorUnitDigits('EUR')).toBe(2);
      expect(minorUnitDigits('KWD')).toBe(3);
      expect(minorUnitDigits('XAU')).toBeUndefined();
      expect(minorUnitDigits('constructor')).toBeUndefined();
    });

    it.each(['USD', 'EUR', 'JPY', 'GBP', 'KWD'])('accepts %s', (code) => {
      expect(parseCurrency(code)).toEqual({ ok: true, value: code });
    });

    it.each(['usd', 'Usd', 'US', 'USDD', 'XXX', 'XAU', 'ABC', '', 840, null])('refuses %p', (code) => {
      expect(parseCurrency(code).ok).toBe(false);
    });
  });

  describe('formatMinorAmount', () => {
    it.each([
      ['1999', 'USD', '19.99'],
      ['0', 'USD', '0.00'],
      ['5', 'EUR', '0.05'],
      ['1000', 'JPY', '1000'],
      ['0', 'JPY', '0'],
      ['1', 'KWD', '0.001'],
      ['9223372036854775807', 'USD', '92233720368547758.07'],
      ['9223372036854775807', 'JPY', '9223372036854775807'],
    ])('shows %s minor units of %s as %s', (amount, currency, expected) => {
      expect(formatMinorAmount(amount, currency)).toBe(expected);
    });

    it('is exact for every amount and currency (round trip back to minor units)', () => {
      const currencies = Object.keys(CURRENCY_MINOR_UNITS);
      fc.assert(
        fc.property(
          fc.bigInt({ min: 0n, max: 9_223_372_036_854_775_807n }),
          fc.constantFrom(...currencies),
          (amount, currency) => {
            const shown = formatMinorAmount(amount.toString(), currency);
            const digits = CURRENCY_MINOR_UNITS[currency];
            expect(shown.split('.')[1]?.length ?? 0).toBe(digits);
            expect(new Decimal(shown).times(new Decimal(10).pow(digits)).toFixed()).toBe(amount.toString());
          },
        ),
      );
    });
  });

  describe('overageUnitPriceMinor', () => {
    it.each([
      ['0.05', '0.05'],
      ['0.0500000000', '0.05'],
      ['1', '1'],
      ['1.50', '1.5'],
      ['0.0000000001', '0.0000000001'],
      ['9999999999.9999999999', '9999999999.9999999999'],
    ])('accepts %p as the exact decimal %p', (input, expected) => {
      expect(parseOverageUnitPrice(input)).toEqual({ ok: true, value: expected });
    });

    it.each([
      0.05,
      '0',
      '0.0000000000',
      '-0.05',
      '0.00000000001',
      '12345678901',
      '1e-3',
      '.05',
      '0.',
      '0,05',
      ' 0.05',
      'NaN',
      'Infinity',
      null,
    ])('refuses %p (a float, zero, negative, too precise, too large, not plain decimal)', (input) => {
      expect(parseOverageUnitPrice(input).ok).toBe(false);
    });

    it('keeps a price that a float would round (0.1 + 0.2 style values stay exact)', () => {
      expect(parseOverageUnitPrice('0.3000000001')).toEqual({ ok: true, value: '0.3000000001' });
    });
  });

  it('calls a plan paid when it has a price or bills overage', () => {
    expect(isPaid({ priceAmountMinor: '0', quotaMode: 'hard' })).toBe(false);
    expect(isPaid({ priceAmountMinor: '1', quotaMode: 'hard' })).toBe(true);
    expect(isPaid({ priceAmountMinor: '0', quotaMode: 'soft' })).toBe(true);
    expect(isPaid(DEFAULT_FREE_PLAN)).toBe(false);
  });
});

describe('plan rate limits', () => {
  it.each([
    [{}],
    [{ perSecond: 5 }],
    [{ perSecond: 5, burst: 10 }],
    [{ perSecond: 10, perMinute: 10 }],
    [{ perSecond: 5, perHour: 100 }],
    [{ perSecond: 10, perMinute: 300, perHour: 10_000, burst: 20 }],
  ])('accepts %p', (limit) => {
    expect(checkRateLimit(limit, 'rateLimit')).toEqual([]);
  });

  it.each([
    [{ perSecond: 0 }, 'rateLimit.perSecond'],
    [{ perSecond: 1.5 }, 'rateLimit.perSecond'],
    [{ perSecond: 10_001 }, 'rateLimit.perSecond'],
    [{ perMinute: '60' }, 'rateLimit.perMinute'],
    [{ perSecond: 10, perMinute: 5 }, 'rateLimit.perMinute'],
    [{ perMinute: 100, perHour: 50 }, 'rateLimit.perHour'],
    [{ perSecond: 100, perHour: 50 }, 'rateLimit.perHour'],
    [{ burst: 10 }, 'rateLimit.burst'],
    [{ perDay: 10 }, 'rateLimit.perDay'],
  ])('refuses %p naming %s', (limit, field) => {
    expect(checkRateLimit(limit, 'rateLimit').map((p) => p.field)).toContain(field);
  });

  it('ignores keys present with an undefined value (DTO instances declare every field)', () => {
    expect(checkRateLimit({ perSecond: 5, perMinute: undefined, burst: undefined }, 'rateLimit')).toEqual([]);
  });

  it('requires a window for an endpoint limit', () => {
    expect(checkRateLimit({}, 'endpointRateLimits.GET /x', true)).toHaveLength(1);
  });
});

describe('resolvePlanFields', () => {
  it('creates a plan from the base with canonical values', () => {
    const plan = fields(
      create({
        name: '  Pro  ',
        priceAmountMinor: '2500',
        currency: 'EUR',
        quotaLimit: 100_000,
        quotaMode: 'soft',
        overageUnitPriceMinor: '0.0500',
        rateLimit: { perMinute: 600, perSecond: 20 },
        includedEndpoints: ['GET /search', 'GET /items/{id}', 'GET /search'],
        endpointWeights: { 'GET /search': 5 },
      }),
    );
    expect(plan).toMatchObject({
      name: 'Pro',
      priceAmountMinor: '2500',
      currency: 'EUR',
      quotaLimit: '100000',
      overageUnitPriceMinor: '0.05',
      rateLimit: { perSecond: 20, perMinute: 600 },
      includedEndpoints: ['GET /items/{id}', 'GET /search'],
    });
    expect(Object.keys(plan.rateLimit)).toEqual(['perSecond', 'perMinute']);
  });

  it('prices a JPY plan in yen (no minor unit): 1000 is ¥1000', () => {
    const plan = fields(
      create({
        priceAmountMinor: 1000,
        currency: 'JPY',
        quotaLimit: 10,
        quotaMode: 'soft',
        overageUnitPriceMinor: '0.5',
      }),
    );
    expect(plan.priceAmountMinor).toBe('1000');
    expect(formatMinorAmount(plan.priceAmountMinor, plan.currency)).toBe('1000');
    expect(plan.overageUnitPriceMinor).toBe('0.5');
  });

  it('requires an overage price and a quota for a soft quota', () => {
    expect(problems(create({ quotaMode: 'soft', quotaLimit: 100 }))).toEqual(['overageUnitPriceMinor']);
    expect(problems(create({ quotaMode: 'soft', overageUnitPriceMinor: '0.1' }))).toEqual(['quotaLimit']);
  });

  it('forbids an overage price on a hard quota', () => {
    expect(problems(create({ quotaMode: 'hard', overageUnitPriceMinor: '0.1', quotaLimit: 5 }))).toEqual([
      'overageUnitPriceMinor',
    ]);
    expect(problems(create({ overageUnitPriceMinor: '0.1', quotaLimit: 5 }))).toEqual([
      'overageUnitPriceMinor',
    ]);
  });

  it('drops the inherited overage price when an update switches to a hard quota', () => {
    const soft = fields(create({ quotaMode: 'soft', quotaLimit: 100, overageUnitPriceMinor: '0.1' }));
    const hard = fields(resolvePlanFields(soft, { quotaMode: 'hard' }));
    expect(hard).toMatchObject({ quotaMode: 'hard', overageUnitPriceMinor: null, quotaLimit: '100' });
  });

  it('refuses weights and endpoint limits for endpoints the plan does not include', () => {
    expect(
      problems(
        create({
          includedEndpoints: ['GET /a'],
          endpointWeights: { 'GET /b': 2 },
          endpointRateLimits: { 'GET /c': { perSecond: 1 } },
        }),
      ),
    ).toEqual(['endpointWeights', 'endpointRateLimits']);
  });

  it('refuses malformed endpoint keys and weights out of range', () => {
    expect(problems(create({ includedEndpoints: ['get /a'] }))).toEqual(['includedEndpoints']);
    expect(problems(create({ includedEndpoints: ['TRACE /a'] }))).toEqual(['includedEndpoints']);
    expect(problems(create({ includedEndpoints: [] }))).toEqual(['includedEndpoints']);
    expect(problems(create({ endpointWeights: { 'GET /a': 0 } }))).toEqual(['endpointWeights.GET /a']);
    expect(problems(create({ endpointWeights: { 'GET /a': 1001 } }))).toEqual(['endpointWeights.GET /a']);
    expect(problems(create({ endpointWeights: { 'GET /a': 2.5 } }))).toEqual(['endpointWeights.GET /a']);
    expect(problems(create({ endpointWeights: { 'GET  /a': 2 } }))).toEqual(['endpointWeights']);
  });

  it('checks name, trial days and sort order bounds', () => {
    expect(problems(create({ name: '   ' }))).toEqual(['name']);
    expect(problems(create({ name: 'x'.repeat(51) }))).toEqual(['name']);
    expect(fields(create({ name: 'x'.repeat(50) })).name).toHaveLength(50);
    expect(problems(create({ trialDays: 366 }))).toEqual(['trialDays']);
    expect(fields(create({ trialDays: 365 })).trialDays).toBe(365);
    expect(problems(create({ trialDays: -1 }))).toEqual(['trialDays']);
  });

  it('names the endpoints the current version does not have, only in the fields sent', () => {
    const known = new Set(['GET /search', 'GET /items/{id}']);
    expect(unknownEndpointKeys({ includedEndpoints: ['GET /search', 'POST /nope'] }, known)).toEqual([
      { field: 'includedEndpoints', message: expect.stringContaining('"POST /nope"') as string },
    ]);
    expect(unknownEndpointKeys({ endpointWeights: { 'GET /gone': 3 } }, known).map((p) => p.field)).toEqual([
      'endpointWeights',
    ]);
    expect(unknownEndpointKeys({ name: 'Renamed' }, known)).toEqual([]);
  });
});

describe('the versioning rule', () => {
  const base = DEFAULT_FREE_PLAN;
  const after = (input: PlanInput): PlanFields => fields(resolvePlanFields(base, input));
  const live = { listingLive: true, hasSubscribers: false };
  const draft = { listingLive: false, hasSubscribers: false };
  const draftWithSubscribers = { listingLive: false, hasSubscribers: true };

  it('reports nothing to do when the values are the same (even spelled differently)', () => {
    const changed = changedFields(
      base,
      after({ priceAmountMinor: '000', rateLimit: { perSecond: 5 }, name: 'Basic' }),
    );
    expect(changed).toEqual([]);
    expect(decideEdit(changed, live)).toBe('unchanged');
  });

  it.each<[string, PlanInput]>([
    ['price', { priceAmountMinor: 500 }],
    ['currency', { currency: 'EUR' }],
    ['quota limit', { quotaLimit: 2000 }],
    ['quota period', { quotaPeriod: 'day' }],
    ['quota mode and overage price', { quotaMode: 'soft', overageUnitPriceMinor: '0.05' }],
    ['rate limit', { rateLimit: { perSecond: 10 } }],
    ['included endpoints', { includedEndpoints: ['GET /a'] }],
    ['endpoint weights', { endpointWeights: { 'GET /a': 2 } }],
    ['endpoint rate limits', { endpointRateLimits: { 'GET /a': { perMinute: 1 } } }],
  ])('makes a new version when the %s of a published plan changes', (_name, input) => {
    expect(decideEdit(changedFields(base, after(input)), live)).toBe('new_version');
  });

  it.each<[string, PlanInput]>([
    ['name', { name: 'Starter' }],
    ['description', { description: 'Try it' }],
    ['sort order', { sortOrder: 3 }],
    ['visibility', { visibility: 'private' }],
    ['approval', { approvalRequired: true }],
    ['trial days', { trialDays: 7 }],
  ])('edits the %s of a published plan in place', (_name, input) => {
    expect(decideEdit(changedFields(base, after(input)), live)).toBe('in_place');
  });

  it('edits terms in place while the listing was never published and nobody subscribed', () => {
    expect(decideEdit(changedFields(base, after({ priceAmountMinor: 500 })), draft)).toBe('in_place');
  });

  it('makes a new version of a plan with subscribers even on an unpublished listing', () => {
    expect(decideEdit(changedFields(base, after({ priceAmountMinor: 500 })), draftWithSubscribers)).toBe(
      'new_version',
    );
  });

  it('makes a new version when terms change together with cosmetic fields', () => {
    const changed = changedFields(base, after({ name: 'Pro', priceAmountMinor: 900 }));
    expect(changed.sort()).toEqual(['name', 'priceAmountMinor']);
    expect(decideEdit(changed, live)).toBe('new_version');
  });
});
