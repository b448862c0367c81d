import { billsOverage, overageAmount } from '@app/billing';
import Decimal from 'decimal.js';

/** What the current period's cost depends on (plan terms as PlanView gives them: exact strings). */
export interface PeriodCostInput {
  periodStart: Date;
  /** Exclusive. */
  periodEnd: Date;
  now: Date;
  billableUnits: number;
  /** Units the gateway counted over a soft quota (the rollups' overage_units, what billing rates). */
  overageUnits: number;
  /** Units per period, null = unlimited. */
  quotaLimit: string | null;
  quotaMode: 'hard' | 'soft';
  /** Minor units per overage unit, an exact decimal ("0.05"), or null. */
  overageUnitPriceMinor: string | null;
  /** The plan's base price per period, minor units. */
  priceAmountMinor: string;
}

export interface PeriodCost {
  quotaRemaining: number | null;
  /** Share of the period gone, 0 … 1. */
  elapsedFraction: number;
  overageCostMinor: string;
  /** Base + overage so far. */
  costSoFarMinor: string;
  projectedBillableUnits: number;
  projectedOverageUnits: number;
  projectedOverageCostMinor: string;
  /** Base + projected overage. */
  projectedTotalMinor: string;
}

/** Projection starts counting after this much of the period (a call in the first second would project millions). */
const MIN_ELAPSED_MS = 60 * 60_000;

const wholeUnits = (value: Decimal): Decimal => value.toDecimalPlaces(0, Decimal.ROUND_HALF_UP);

/**
 * The current period's usage cost (an estimate for the consumer's dashboard; the invoice is
 * billing's): the overage so far priced by billing's rule (`overageAmount`: units × the plan's
 * exact unit price, rounded half-up to the minor unit once); the projection extends billable
 * units linearly from the time elapsed (at least an hour) to the whole period, rounds the part
 * over a soft quota to whole units and prices those by the same rule. Hard quotas and unpriced
 * plans never cost overage.
 */
export function periodCost(input: PeriodCostInput): PeriodCost {
  const length = input.periodEnd.getTime() - input.periodStart.getTime();
  const elapsed = Math.min(Math.max(input.now.getTime() - input.periodStart.getTime(), 0), length);
  const limit = input.quotaLimit === null ? null : new Decimal(input.quotaLimit);
  const priced = billsOverage(input);
  const base = BigInt(input.priceAmountMinor);
  const costOf = (units: Decimal): bigint => overageAmount(BigInt(units.toFixed(0)), input) ?? 0n;

  const overage = new Decimal(priced ? input.overageUnits : 0);
  const overageCost = costOf(overage);

  const billable = new Decimal(input.billableUnits);
  const projected =
    length <= 0 || elapsed >= length ? billable : billable.times(length).dividedBy(Math.max(elapsed, Math.min(MIN_ELAPSED_MS, length)));
  const projectedOverage = wholeUnits(
    priced && limit !== null ? Decimal.max(overage, projected.minus(limit)) : overage,
  );
  const projectedOverageCost = costOf(projectedOverage);

  return {
    quotaRemaining: limit === null ? null : Math.max(0, limit.minus(input.billableUnits).toNumber()),
    elapsedFraction: length <= 0 ? 1 : Math.round((elapsed / length) * 10_000) / 10_000,
    overageCostMinor: overageCost.toString(),
    costSoFarMinor: (base + overageCost).toString(),
    projectedBillableUnits: wholeUnits(projected).toNumber(),
    projectedOverageUnits: projectedOverage.toNumber(),
    projectedOverageCostMinor: projectedOverageCost.toString(),
    projectedTotalMinor: (base + projectedOverageCost).toString(),
  };
}
