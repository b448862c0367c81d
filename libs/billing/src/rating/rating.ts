import { lineAmount, prorate, type MinorAmount } from '../money/money';

export type InvoiceLineKind = 'base' | 'overage' | 'proration' | 'credit';

/** What rating needs to know about a plan (libs/catalog's PlanView, narrowed). */
export interface RatedPlan {
  id: string;
  name: string;
  /** The monthly price in minor units. */
  priceAmountMinor: bigint;
  currency: string;
  quotaPeriod: 'month' | 'day';
  quotaMode: 'hard' | 'soft';
  /** Exact decimal of minor units per overage unit (soft plans). */
  overageUnitPriceMinor: string | null;
}

/** The part of a plan the overage rule reads (RatedPlan, PlanView and the usage controls' terms all fit). */
export type OverageTerms = Pick<RatedPlan, 'quotaMode' | 'overageUnitPriceMinor'>;

/** True when the plan bills calls over its quota: a soft quota with an overage unit price. */
export function billsOverage(plan: OverageTerms): plan is { quotaMode: 'soft'; overageUnitPriceMinor: string } {
  return plan.quotaMode === 'soft' && plan.overageUnitPriceMinor !== null;
}

/**
 * What a period's overage costs — the one implementation of this money rule: the invoice's overage
 * line (`ratePeriod`), the consumer's current-period cost in libs/analytics and the overage alerts
 * and spend cap in libs/subscriptions all call it. Overage units × the plan's exact decimal unit
 * price, rounded once, half-up, to the minor unit (`lineAmount`). Null when no overage is billed:
 * no units (zero or fewer), a hard quota, or no unit price. A handful of units at a sub-unit price
 * may cost 0 (a line is still due).
 */
export function overageAmount(overageUnits: bigint, plan: OverageTerms): MinorAmount | null {
  if (overageUnits <= 0n || !billsOverage(plan)) return null;
  return lineAmount(overageUnits, plan.overageUnitPriceMinor);
}

/** A plan change inside the period (libs/subscriptions reports them; billing stores them). */
export interface PlanChangeAt {
  fromPlanId: string;
  toPlanId: string;
  at: Date;
}

export interface PeriodToRate {
  start: Date;
  /** Where billing stops: the period end, or the cancellation instant. */
  end: Date;
  /** The period's natural end (the proration denominator of monthly periods). */
  fullEnd: Date;
  /** The plan held when the period closed. */
  planId: string;
  trialEndsAt: Date | null;
}

export interface RatedLine {
  kind: InvoiceLineKind;
  description: string;
  planId: string | null;
  /** Units (overage) as an integer string; null for time-based lines. */
  quantity: string | null;
  /** Exact decimal minor units per unit (overage); null for time-based lines. */
  unitPriceMinor: string | null;
  amountMinor: bigint;
  periodStart: Date;
  periodEnd: Date;
}

export interface RatedPeriod {
  currency: string;
  lines: RatedLine[];
  totalMinor: bigint;
}

const DAY_MS = 86_400_000;

function daysInUtcMonth(at: Date): number {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 0)).getUTCDate();
}

function isoDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function describeSpan(start: Date, end: Date): string {
  const days = (end.getTime() - start.getTime()) / DAY_MS;
  const rounded = Math.round(days * 100) / 100;
  return `${start.toISOString().replace('.000Z', 'Z')} – ${end.toISOString().replace('.000Z', 'Z')} (${rounded} days)`;
}

interface Segment {
  planId: string;
  from: Date;
  to: Date;
  trial: boolean;
}

/** The period cut at each plan change and at the trial end: who held which plan when, and whether it was trial time. */
export function segmentsOf(period: PeriodToRate, changes: readonly PlanChangeAt[]): Segment[] {
  const inside = changes
    .filter((c) => c.at.getTime() > period.start.getTime() && c.at.getTime() < period.end.getTime())
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  const cuts: { at: Date; planId: string | null }[] = inside.map((c) => ({ at: c.at, planId: c.toPlanId }));
  const trialEnd = period.trialEndsAt;
  if (trialEnd && trialEnd.getTime() > period.start.getTime() && trialEnd.getTime() < period.end.getTime())
    cuts.push({ at: trialEnd, planId: null });
  cuts.sort((a, b) => a.at.getTime() - b.at.getTime());
  const segments: Segment[] = [];
  let plan = inside.length > 0 ? inside[0].fromPlanId : period.planId;
  let from = period.start;
  const inTrial = (at: Date): boolean => trialEnd !== null && at.getTime() < trialEnd.getTime();
  for (const cut of cuts) {
    if (cut.at.getTime() > from.getTime()) segments.push({ planId: plan, from, to: cut.at, trial: inTrial(from) });
    if (cut.planId !== null) plan = cut.planId;
    from = cut.at;
  }
  if (period.end.getTime() > from.getTime())
    segments.push({ planId: plan, from, to: period.end, trial: inTrial(from) });
  return segments;
}

/**
 * The rating rule (README "The rating rule"): base in arrears for the period that ended, split
 * into prorated segments at plan changes, a trial end or an early end; overage units × the
 * decimal unit price of the plan held at the period end. Every line is rounded once, half-up, to
 * the minor unit. Segments on a plan priced in another currency than the closing plan's are left
 * out (a plan change across currencies is not prorated; `skipped` names them).
 */
export function ratePeriod(
  period: PeriodToRate,
  plans: ReadonlyMap<string, RatedPlan>,
  changes: readonly PlanChangeAt[],
  overageUnits: bigint,
): RatedPeriod & { skipped: string[] } {
  const closing = plans.get(period.planId);
  if (!closing) throw new Error(`rating needs plan ${period.planId}`);
  const currency = closing.currency;
  const reference =
    closing.quotaPeriod === 'day'
      ? daysInUtcMonth(period.start) * DAY_MS
      : period.fullEnd.getTime() - period.start.getTime();
  const lines: RatedLine[] = [];
  const skipped: string[] = [];
  const segments = segmentsOf(period, changes);
  const whole =
    segments.length === 1 &&
    !segments[0].trial &&
    segments[0].from.getTime() === period.start.getTime() &&
    segments[0].to.getTime() === period.fullEnd.getTime();
  for (const segment of segments) {
    if (segment.trial) continue;
    const plan = plans.get(segment.planId);
    if (!plan) throw new Error(`rating needs plan ${segment.planId}`);
    if (plan.currency !== currency) {
      skipped.push(plan.id);
      continue;
    }
    if (plan.priceAmountMinor === 0n) continue;
    const duration = segment.to.getTime() - segment.from.getTime();
    const amount = prorate(plan.priceAmountMinor, duration, reference);
    if (amount === 0n) continue;
    lines.push({
      kind: whole ? 'base' : 'proration',
      description: whole
        ? `${plan.name} — ${isoDate(period.start)} to ${isoDate(period.fullEnd)}`
        : `${plan.name} — ${describeSpan(segment.from, segment.to)} of ${Math.round((reference / DAY_MS) * 100) / 100} days (prorated)`,
      planId: plan.id,
      quantity: null,
      unitPriceMinor: null,
      amountMinor: amount,
      periodStart: segment.from,
      periodEnd: segment.to,
    });
  }
  const overage = overageAmount(overageUnits, closing);
  if (overage !== null) {
    lines.push({
      kind: 'overage',
      description: `${closing.name} — ${overageUnits.toString()} units over the quota`,
      planId: closing.id,
      quantity: overageUnits.toString(),
      unitPriceMinor: closing.overageUnitPriceMinor,
      amountMinor: overage,
      periodStart: period.start,
      periodEnd: period.end,
    });
  }
  return { currency, lines, totalMinor: lines.reduce((sum, line) => sum + line.amountMinor, 0n), skipped };
}
