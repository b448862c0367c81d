import fc from 'fast-check';
import { reversalSplit } from '../invoices/invoices.service';
import { splitFee } from '../money/money';

/**
 * Partial refunds reverse fee and share in proportion with the invoice's bps and cumulative
 * rounding (README "Refunds"): each refund's fee′ + share′ is exactly its amount, neither is
 * negative, and refunds summing to the invoice total reverse exactly its fee and its share.
 */
describe('proportional reversal of partial refunds (reversalSplit)', () => {
  it('splits each refund exactly, and a full set of refunds reverses exactly the invoice fee and share', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }),
        (total, bps, weights) => {
          const sum = weights.reduce((a, b) => a + b, 0);
          const parts: bigint[] = [];
          let left = total;
          for (const [i, w] of weights.entries()) {
            const part = i === weights.length - 1 ? left : (total * BigInt(w)) / BigInt(sum);
            if (part > 0n) parts.push(part);
            left -= part;
          }
          let credited = 0n;
          let fee = 0n;
          let share = 0n;
          for (const part of parts) {
            const reversal = reversalSplit(credited, part, bps);
            expect(reversal.fee + reversal.providerShare).toBe(-part);
            expect(reversal.fee <= 0n && reversal.providerShare <= 0n).toBe(true);
            fee -= reversal.fee;
            share -= reversal.providerShare;
            credited += part;
          }
          const invoice = splitFee(total, bps);
          expect(fee).toBe(invoice.fee);
          expect(share).toBe(invoice.providerShare);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('matches the plain split for a first refund (500 of 1005 at 20 %: fee 100, share 400)', () => {
    expect(reversalSplit(0n, 500n, 2000)).toEqual({ fee: -100n, providerShare: -400n });
    // the second of the e2e: 333 after 500 → fee(833) − fee(500) = 167 − 100 = 67
    expect(reversalSplit(500n, 333n, 2000)).toEqual({ fee: -67n, providerShare: -266n });
  });
});
