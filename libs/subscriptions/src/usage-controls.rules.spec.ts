import {
  crossedAlerts,
  formatMinor,
  normalizedThresholds,
  overageCostMinor,
  spendCapReached,
} from './usage-controls.rules';

describe('usage controls rules', () => {
  it('prices overage by the billing rule: the exact decimal unit price, rounded half-up once', () => {
    const soft = (price: string | null) => ({ quotaMode: 'soft' as const, overageUnitPriceMinor: price });
    expect(overageCostMinor(3, soft('0.5'))).toBe(2); // 1.5 → 2
    expect(overageCostMinor(1, soft('0.49'))).toBe(0);
    expect(overageCostMinor(10, soft('0.05'))).toBe(1); // 0.5 → 1
    expect(overageCostMinor(7, soft('0.1'))).toBe(1); // 0.7: no binary float error
    expect(overageCostMinor(3, soft('0.1'))).toBe(0); // 0.30000000000000004 in floats
    expect(overageCostMinor(1_000_000, soft('0.0000000001'))).toBe(0);
    expect(overageCostMinor(5, soft(null))).toBe(0);
    expect(overageCostMinor(0, soft('100'))).toBe(0);
    expect(overageCostMinor(5, { quotaMode: 'hard', overageUnitPriceMinor: '100' })).toBe(0);
  });

  it('crosses a quota percentage exactly at the threshold, never for unlimited plans', () => {
    const alerts = { quotaPercents: [50, 80, 100, 150], overageAmountsMinor: [] };
    const terms = { quotaLimit: 10, quotaMode: 'soft' as const, overageUnitPriceMinor: null };
    expect(crossedAlerts(alerts, terms, { billableUnits: 4, overageUnits: 0 })).toEqual([]);
    expect(crossedAlerts(alerts, terms, { billableUnits: 5, overageUnits: 0 }).map((a) => a.key)).toEqual([
      'quota:50',
    ]);
    expect(crossedAlerts(alerts, terms, { billableUnits: 10, overageUnits: 0 }).map((a) => a.key)).toEqual([
      'quota:50',
      'quota:80',
      'quota:100',
    ]);
    expect(crossedAlerts(alerts, terms, { billableUnits: 15, overageUnits: 5 }).map((a) => a.key)).toContain(
      'quota:150',
    );
    expect(
      crossedAlerts(
        alerts,
        { quotaLimit: null, quotaMode: 'soft' as const, overageUnitPriceMinor: null },
        { billableUnits: 1e9, overageUnits: 0 },
      ),
    ).toEqual([]);
  });

  it('crosses an overage amount when the overage cost reaches it', () => {
    const alerts = { quotaPercents: [], overageAmountsMinor: [100, 500] };
    const terms = { quotaLimit: 10, quotaMode: 'soft' as const, overageUnitPriceMinor: '25' };
    expect(crossedAlerts(alerts, terms, { billableUnits: 13, overageUnits: 3 })).toEqual([]);
    expect(crossedAlerts(alerts, terms, { billableUnits: 14, overageUnits: 4 })).toEqual([
      { key: 'overage:100', kind: 'overage', amountMinor: 100 },
    ]);
  });

  it('reaches the spend cap at cost ≥ cap with some overage; a cap of 0 allows none', () => {
    const terms = { quotaLimit: 10, quotaMode: 'soft' as const, overageUnitPriceMinor: '25' };
    expect(spendCapReached(100, terms, { billableUnits: 13, overageUnits: 3 })).toBe(false);
    expect(spendCapReached(100, terms, { billableUnits: 14, overageUnits: 4 })).toBe(true);
    expect(spendCapReached(null, terms, { billableUnits: 99, overageUnits: 89 })).toBe(false);
    expect(spendCapReached(0, terms, { billableUnits: 10, overageUnits: 0 })).toBe(false);
    expect(spendCapReached(0, terms, { billableUnits: 11, overageUnits: 1 })).toBe(true);
  });

  it('normalises thresholds and formats amounts in the major unit', () => {
    expect(normalizedThresholds([100, 50, 80, 50])).toEqual([50, 80, 100]);
    expect(formatMinor(1234, 'USD', 2)).toBe('USD 12.34');
    expect(formatMinor(1000, 'JPY', 0)).toBe('JPY 1000');
  });
});
