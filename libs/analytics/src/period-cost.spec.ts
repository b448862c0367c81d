import { periodCost, type PeriodCostInput } from './period-cost';

const start = new Date('2026-03-01T00:00:00Z');
const end = new Date('2026-03-31T00:00:00Z'); // 30 days
const base: PeriodCostInput = {
  periodStart: start,
  periodEnd: end,
  now: new Date('2026-03-11T00:00:00Z'), // a third of the period
  billableUnits: 0,
  overageUnits: 0,
  quotaLimit: '1000',
  quotaMode: 'soft',
  overageUnitPriceMinor: '0.05',
  priceAmountMinor: '1900',
};

describe('periodCost', () => {
  it('prices overage at the exact decimal unit price, rounded half-up once', () => {
    // 1,010 units over: 1010 × 0.05 = 50.5 → 51
    const cost = periodCost({ ...base, billableUnits: 2010, overageUnits: 1010 });
    expect(cost.overageCostMinor).toBe('51');
    expect(cost.costSoFarMinor).toBe('1951');
    expect(cost.quotaRemaining).toBe(0);
  });

  it('projects billable units linearly and prices the projected part over the quota', () => {
    // 600 units in a third → 1,800 for the period → 800 over × 0.05 = 40
    const cost = periodCost({ ...base, billableUnits: 600 });
    expect(cost.elapsedFraction).toBeCloseTo(1 / 3, 3);
    expect(cost.quotaRemaining).toBe(400);
    expect(cost.overageCostMinor).toBe('0');
    expect(cost.projectedBillableUnits).toBe(1800);
    expect(cost.projectedOverageUnits).toBe(800);
    expect(cost.projectedOverageCostMinor).toBe('40');
    expect(cost.projectedTotalMinor).toBe('1940');
  });

  it('never prices overage on a hard quota or an unlimited plan', () => {
    expect(periodCost({ ...base, quotaMode: 'hard', billableUnits: 999, overageUnits: 0 }).projectedOverageCostMinor).toBe('0');
    const unlimited = periodCost({ ...base, quotaLimit: null, billableUnits: 5000, overageUnits: 0 });
    expect(unlimited.quotaRemaining).toBeNull();
    expect(unlimited.projectedOverageCostMinor).toBe('0');
  });

  it('keeps sub-cent unit prices exact (no float drift)', () => {
    // 3 × 0.1 = 0.3 → 0; 7 × 0.0000000001 = 0 → 0; 15 × 0.1 = 1.5 → 2
    expect(periodCost({ ...base, overageUnitPriceMinor: '0.1', overageUnits: 3 }).overageCostMinor).toBe('0');
    expect(periodCost({ ...base, overageUnitPriceMinor: '0.1', overageUnits: 15 }).overageCostMinor).toBe('2');
  });

  it('does not extrapolate from the first minutes of a period', () => {
    const cost = periodCost({ ...base, now: new Date(start.getTime() + 60_000), billableUnits: 10 });
    // elapsed counts as one hour: 10 × 720 = 7,200
    expect(cost.projectedBillableUnits).toBe(7200);
  });

  it('prices the projected overage as whole units by the billing rule', () => {
    // 100 units in 7 of 30 days → 428.57 for the period → 328.57 over the 100 quota, shown as 329
    // units; priced like an invoice line: 329 × 0.5 = 164.5 → 165 (not 328.57 × 0.5 = 164.29 → 164)
    const cost = periodCost({
      ...base,
      now: new Date('2026-03-08T00:00:00Z'),
      quotaLimit: '100',
      overageUnitPriceMinor: '0.5',
      billableUnits: 100,
    });
    expect(cost.projectedBillableUnits).toBe(429);
    expect(cost.projectedOverageUnits).toBe(329);
    expect(cost.projectedOverageCostMinor).toBe('165');
    expect(cost.projectedTotalMinor).toBe('2065');
  });

  it('prices no overage for a count of zero or fewer units', () => {
    const cost = periodCost({ ...base, billableUnits: 0, overageUnits: -10 });
    expect(cost.overageCostMinor).toBe('0');
    expect(cost.costSoFarMinor).toBe('1900');
  });
});
