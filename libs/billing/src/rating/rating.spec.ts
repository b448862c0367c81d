import { overageAmount, ratePeriod, type RatedPlan } from './rating';

const basic: RatedPlan = {
  id: 'basic',
  name: 'Basic',
  priceAmountMinor: 1000n,
  currency: 'USD',
  quotaPeriod: 'month',
  quotaMode: 'soft',
  overageUnitPriceMinor: '2.5',
};
const pro: RatedPlan = { ...basic, id: 'pro', name: 'Pro', priceAmountMinor: 3000n, overageUnitPriceMinor: '0.05' };
const free: RatedPlan = { ...basic, id: 'free', name: 'Free', priceAmountMinor: 0n, quotaMode: 'hard', overageUnitPriceMinor: null };
const yen: RatedPlan = { ...basic, id: 'yen', name: 'Yen', currency: 'JPY', priceAmountMinor: 1000n, overageUnitPriceMinor: '0.5' };
const daily: RatedPlan = { ...basic, id: 'daily', name: 'Daily', quotaPeriod: 'day', priceAmountMinor: 3100n };
const plans = new Map([basic, pro, free, yen, daily].map((p) => [p.id, p]));

const jan1 = new Date('2026-01-01T00:00:00Z');
const feb1 = new Date('2026-02-01T00:00:00Z');
const jan16 = new Date('2026-01-16T00:00:00Z');

describe('the rating rule', () => {
  it('bills a whole period in arrears: one base line at the full price plus overage units × the decimal unit price', () => {
    const rated = ratePeriod({ start: jan1, end: feb1, fullEnd: feb1, planId: 'basic', trialEndsAt: null }, plans, [], 3n);
    expect(rated.lines.map((l) => [l.kind, l.amountMinor, l.quantity, l.unitPriceMinor])).toEqual([
      ['base', 1000n, null, null],
      ['overage', 8n, '3', '2.5'], // 7.5 → 8, rounded once for the line
    ]);
    expect(rated.totalMinor).toBe(1008n);
    expect(rated.currency).toBe('USD');
  });

  it('prorates a mid-period upgrade by time, one line per plan segment, overage at the plan held at the end', () => {
    const rated = ratePeriod(
      { start: jan1, end: feb1, fullEnd: feb1, planId: 'pro', trialEndsAt: null },
      plans,
      [{ fromPlanId: 'basic', toPlanId: 'pro', at: jan16 }],
      100n,
    );
    // 15 of 31 days on Basic (1000 × 15/31 = 483.87 → 484), 16 of 31 on Pro (3000 × 16/31 = 1548.39 → 1548)
    expect(rated.lines.map((l) => [l.kind, l.planId, l.amountMinor])).toEqual([
      ['proration', 'basic', 484n],
      ['proration', 'pro', 1548n],
      ['overage', 'pro', 5n], // 100 × 0.05
    ]);
    expect(rated.totalMinor).toBe(2037n);
  });

  it('prorates a period cut short by an immediate cancellation', () => {
    const rated = ratePeriod({ start: jan1, end: jan16, fullEnd: feb1, planId: 'basic', trialEndsAt: null }, plans, [], 0n);
    expect(rated.lines).toHaveLength(1);
    expect(rated.lines[0]).toMatchObject({ kind: 'proration', amountMinor: 484n });
  });

  it('charges nothing for trial time and prorates the rest of the period', () => {
    const rated = ratePeriod({ start: jan1, end: feb1, fullEnd: feb1, planId: 'basic', trialEndsAt: jan16 }, plans, [], 0n);
    expect(rated.lines.map((l) => [l.kind, l.amountMinor])).toEqual([['proration', 516n]]); // 16/31 × 1000 = 516.13
    const wholeTrial = ratePeriod({ start: jan1, end: feb1, fullEnd: feb1, planId: 'basic', trialEndsAt: feb1 }, plans, [], 0n);
    expect(wholeTrial.totalMinor).toBe(0n);
  });

  it('rates a free plan to zero with no lines (no invoice)', () => {
    const rated = ratePeriod({ start: jan1, end: feb1, fullEnd: feb1, planId: 'free', trialEndsAt: null }, plans, [], 50n);
    expect(rated.lines).toEqual([]);
    expect(rated.totalMinor).toBe(0n);
  });

  it('rounds JPY lines to whole yen', () => {
    const rated = ratePeriod({ start: jan1, end: feb1, fullEnd: feb1, planId: 'yen', trialEndsAt: null }, plans, [], 3n);
    expect(rated.currency).toBe('JPY');
    expect(rated.lines.map((l) => l.amountMinor)).toEqual([1000n, 2n]); // ¥1.5 → ¥2
  });

  it('bills a daily plan its monthly price over the days of the month', () => {
    const day = { start: jan1, end: new Date('2026-01-02T00:00:00Z'), fullEnd: new Date('2026-01-02T00:00:00Z') };
    const rated = ratePeriod({ ...day, planId: 'daily', trialEndsAt: null }, plans, [], 0n);
    expect(rated.lines.map((l) => [l.kind, l.amountMinor])).toEqual([['base', 100n]]); // 3100 / 31
  });

  it('prices overage units at the exact decimal unit price, rounded once half-up (the rule analytics and subscriptions call too)', () => {
    expect(overageAmount(3n, basic)).toBe(8n); // 7.5 → 8
    expect(overageAmount(10n, pro)).toBe(1n); // 0.5 → 1
    expect(overageAmount(3n, { quotaMode: 'soft', overageUnitPriceMinor: '0.1' })).toBe(0n); // 0.3, no float drift
    expect(overageAmount(3n, yen)).toBe(2n); // ¥1.5 → ¥2
    // 7 × 1763668414.3571428571 = 12345678900.4999999997: exact, not rounded to 20 significant digits first
    expect(overageAmount(7n, { quotaMode: 'soft', overageUnitPriceMinor: '1763668414.3571428571' })).toBe(12_345_678_900n);
  });

  it('bills no overage without units, on a hard quota or without a unit price; a few units may still cost 0', () => {
    expect(overageAmount(0n, basic)).toBeNull();
    expect(overageAmount(-5n, basic)).toBeNull();
    expect(overageAmount(50n, { quotaMode: 'hard', overageUnitPriceMinor: '2.5' })).toBeNull();
    expect(overageAmount(50n, { quotaMode: 'soft', overageUnitPriceMinor: null })).toBeNull();
    expect(overageAmount(1n, pro)).toBe(0n);
    const rated = ratePeriod({ start: jan1, end: feb1, fullEnd: feb1, planId: 'pro', trialEndsAt: null }, plans, [], 1n);
    expect(rated.lines.map((l) => [l.kind, l.amountMinor])).toEqual([
      ['base', 3000n],
      ['overage', 0n],
    ]);
  });
});
