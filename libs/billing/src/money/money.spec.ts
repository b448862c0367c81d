import { SUPPORTED_CURRENCIES, minorUnitDigits } from '@app/catalog';
import fc from 'fast-check';
import { formatMinor, lineAmount, prorate, roundMinor, splitFee } from './money';

describe('money', () => {
  it('rounds half-up (ties away from zero) to a whole minor unit, once', () => {
    expect(roundMinor('0.5')).toBe(1n);
    expect(roundMinor('1.4999999999')).toBe(1n);
    expect(roundMinor('2.5')).toBe(3n);
    expect(roundMinor('-2.5')).toBe(-3n);
    expect(roundMinor('-2.4')).toBe(-2n);
  });

  it('prices overage units at an exact decimal unit price and rounds the line once', () => {
    // 3 × 0.05 = 0.15 → 0 (not 3 × round(0.05) = 0, and not a float 0.15000000000000002)
    expect(lineAmount(3n, '0.05')).toBe(0n);
    expect(lineAmount(10n, '0.05')).toBe(1n); // 0.5 → 1
    expect(lineAmount(30n, '0.05')).toBe(2n); // 1.5 → 2
    expect(lineAmount(1_000_000_007n, '0.0000000001')).toBe(0n);
    expect(lineAmount(12_345n, '2.5')).toBe(30_863n); // 30862.5 → 30863
  });

  it('rounds a JPY line to whole yen (a zero-decimal currency: minor unit = yen)', () => {
    expect(minorUnitDigits('JPY')).toBe(0);
    expect(lineAmount(3n, '0.5')).toBe(2n); // ¥1.5 → ¥2
    expect(prorate(1000n, 15, 31)).toBe(484n); // ¥483.87 → ¥484
    expect(formatMinor(1_234_567n, 0)).toBe('1,234,567');
  });

  it('prorates by a time fraction and keeps a whole period at the full price', () => {
    expect(prorate(1000n, 30, 30)).toBe(1000n);
    expect(prorate(1000n, 15, 30)).toBe(500n);
    expect(prorate(999n, 1, 2)).toBe(500n); // 499.5 → 500
    expect(prorate(1n, 1, 3)).toBe(0n);
  });

  it('takes the fee half-up: 20 % of 1005 is 201, the provider keeps 804', () => {
    expect(splitFee(1005n, 2000)).toEqual({ fee: 201n, providerShare: 804n });
    expect(splitFee(1n, 5000)).toEqual({ fee: 1n, providerShare: 0n }); // 0.5 → 1
    expect(splitFee(0n, 2000)).toEqual({ fee: 0n, providerShare: 0n });
    expect(splitFee(-1005n, 2000)).toEqual({ fee: -201n, providerShare: -804n });
    expect(() => splitFee(100n, 10_001)).toThrow();
    expect(() => splitFee(100n, 12.5)).toThrow();
  });

  it('formats minor units in the major unit of the currency', () => {
    expect(formatMinor(199_999n, 2)).toBe('1,999.99');
    expect(formatMinor(-5n, 2)).toBe('-0.05');
    expect(formatMinor(1_234n, 3)).toBe('1.234');
  });

  it('always splits a total into fee + share that sum exactly (every currency, bps 0–10000, totals to 10^15, credits)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom(...SUPPORTED_CURRENCIES),
        (total, bps, currency) => {
          const { fee, providerShare } = splitFee(total, bps);
          expect(minorUnitDigits(currency)).toBeDefined();
          expect(fee + providerShare).toBe(total);
          // the fee is the exact fee rounded half-up: within half a minor unit
          const exactTimes2 = total * BigInt(bps) * 2n;
          const diff = fee * 20_000n - exactTimes2;
          expect(diff <= 10_000n && diff >= -10_000n).toBe(true);
          // credits mirror charges
          expect(splitFee(-total, bps).fee).toBe(-fee);
          // never more than the total, never negative on a charge
          if (total >= 0n) expect(fee >= 0n && fee <= total && providerShare >= 0n).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
