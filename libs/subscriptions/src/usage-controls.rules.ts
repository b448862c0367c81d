import { overageAmount, type OverageTerms } from '@app/billing';
import { Decimal } from 'decimal.js';

/**
 * Usage alerts and the overage spend cap (README "Alerts and caps"), pure functions of a
 * subscription's period totals and its plan's terms.
 */

export const USAGE_CONTROL_LIMITS = {
  /** Alerts of each kind per subscription. */
  alertsMax: 10,
  quotaPercentMin: 1,
  /** Soft quotas run past 100 %. */
  quotaPercentMax: 1000,
  /** Amounts (alerts and the cap) in minor units: 1 … 10^12. */
  amountMinorMax: 1_000_000_000_000,
} as const;

/** The part of a plan the rules read. */
export interface UsageTerms extends OverageTerms {
  /** Billing units per period; null = unlimited (no quota alerts). */
  quotaLimit: number | null;
}

export interface PeriodTotals {
  billableUnits: number;
  overageUnits: number;
}

/**
 * The period's overage cost so far in minor units: billing's rule (`overageAmount`, what the
 * invoice's overage line will say), as the number the alerts and the cap compare. 0 when the plan
 * bills no overage.
 */
export function overageCostMinor(overageUnits: number, terms: OverageTerms): number {
  return Number(overageAmount(BigInt(overageUnits), terms) ?? 0n);
}

export function quotaAlertKey(percent: number): string {
  return `quota:${percent}`;
}

export function overageAlertKey(amountMinor: number): string {
  return `overage:${amountMinor}`;
}

export function spendCapAlertKey(amountMinor: number): string {
  return `spend_cap:${amountMinor}`;
}

export type CrossedAlert =
  { key: string; kind: 'quota'; percent: number } | { key: string; kind: 'overage'; amountMinor: number };

/**
 * The configured alerts the period's totals have reached: a quota percentage when billing units
 * ≥ percent × quota (plans with a quota only); an overage amount when there is overage and its
 * cost ≥ the amount.
 */
export function crossedAlerts(
  alerts: { quotaPercents: readonly number[]; overageAmountsMinor: readonly number[] },
  terms: UsageTerms,
  totals: PeriodTotals,
): CrossedAlert[] {
  const crossed: CrossedAlert[] = [];
  if (terms.quotaLimit !== null && terms.quotaLimit > 0) {
    for (const percent of alerts.quotaPercents)
      if (totals.billableUnits * 100 >= percent * terms.quotaLimit)
        crossed.push({ key: quotaAlertKey(percent), kind: 'quota', percent });
  }
  const cost = overageCostMinor(totals.overageUnits, terms);
  if (totals.overageUnits > 0) {
    for (const amountMinor of alerts.overageAmountsMinor)
      if (cost >= amountMinor)
        crossed.push({ key: overageAlertKey(amountMinor), kind: 'overage', amountMinor });
  }
  return crossed;
}

/**
 * True when the cap stops live calls: some overage was billed and its cost reached the cap (a cap
 * of 0 allows no overage at all: the first overage call reaches it).
 */
export function spendCapReached(
  capAmountMinor: number | null,
  terms: UsageTerms,
  totals: PeriodTotals,
): boolean {
  if (capAmountMinor === null || totals.overageUnits <= 0) return false;
  return overageCostMinor(totals.overageUnits, terms) >= capAmountMinor;
}

/** Ascending, distinct. */
export function normalizedThresholds(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/** `USD 5.00` (the currency's minor-unit digits). */
export function formatMinor(amountMinor: number, currency: string, minorUnits: number): string {
  return `${currency} ${new Decimal(amountMinor).div(new Decimal(10).pow(minorUnits)).toFixed(minorUnits)}`;
}
