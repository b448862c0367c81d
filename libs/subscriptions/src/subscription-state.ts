import { conflict, type AppError } from '@app/common';
import { addDays, periodAt, type PeriodKind } from './periods';

/** README "States". */
export type SubscriptionStatus =
  'pending_approval' | 'incomplete' | 'trialing' | 'active' | 'past_due' | 'canceled' | 'expired';

export const SUBSCRIPTION_STATUSES: readonly SubscriptionStatus[] = [
  'pending_approval',
  'incomplete',
  'trialing',
  'active',
  'past_due',
  'canceled',
  'expired',
];

/** States that hold the (consumer, API) slot and the plan (the partial unique index lists the same). */
export const LIVE_STATUSES: readonly SubscriptionStatus[] = [
  'pending_approval',
  'incomplete',
  'trialing',
  'active',
  'past_due',
];

/** States with running periods (access at the gateway: trialing and active; past_due is billing's grace). */
const PERIOD_STATUSES: ReadonlySet<SubscriptionStatus> = new Set(['trialing', 'active', 'past_due']);

export function isLive(status: SubscriptionStatus): boolean {
  return (LIVE_STATUSES as readonly string[]).includes(status);
}

/** What the state machine needs to know about a plan. */
export interface PlanTerms {
  paid: boolean;
  approvalRequired: boolean;
  visibility: 'public' | 'private';
  trialDays: number;
  quotaPeriod: PeriodKind;
}

export type PaymentsMode = 'local' | 'stripe';

/** The fields of a subscription the transitions read and write. */
export interface SubscriptionState {
  status: SubscriptionStatus;
  anchor: Date | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  trialEndsAt: Date | null;
  cancelAtPeriodEnd: boolean;
  canceledAt: Date | null;
  /** past_due only: access until then (billing's dunning grace); null otherwise. */
  paymentGraceEndsAt?: Date | null;
}

export function needsApproval(plan: PlanTerms): boolean {
  return plan.approvalRequired || plan.visibility === 'private';
}

function illegal(
  status: SubscriptionStatus,
  action: string,
  allowed: readonly SubscriptionStatus[],
): AppError {
  return conflict(
    `Cannot ${action} a subscription that is ${status.replace('_', ' ')}: only ${allowed.join(', ')} subscriptions can be.`,
    { subscriptionStatus: status, action },
  );
}

/**
 * Where periods are counted from when access starts at `now`: the start of its minute. Metering
 * rolls usage up per minute and counts a minute in the period its start lies in, so a
 * minute-aligned anchor puts every call of the first minute in the first period (README "Time").
 */
export function anchorAt(now: Date): Date {
  return new Date(Math.floor(now.getTime() / 60_000) * 60_000);
}

/** Access starts now: a trial when the plan has one, else payment (stripe) or active at once. */
function start(plan: PlanTerms, payments: PaymentsMode, now: Date): SubscriptionState {
  const none = { trialEndsAt: null, cancelAtPeriodEnd: false, canceledAt: null };
  if (plan.trialDays > 0) {
    const anchor = anchorAt(now);
    const period = periodAt(plan.quotaPeriod, anchor, now);
    return {
      ...none,
      status: 'trialing',
      anchor,
      currentPeriodStart: period.start,
      currentPeriodEnd: period.end,
      trialEndsAt: addDays(now, plan.trialDays),
    };
  }
  if (plan.paid && payments === 'stripe')
    // awaiting payment: no access and no period until the payment webhook activates it
    return { ...none, status: 'incomplete', anchor: null, currentPeriodStart: null, currentPeriodEnd: null };
  return activate(plan, now);
}

function activate(plan: PlanTerms, now: Date): SubscriptionState {
  const anchor = anchorAt(now);
  const period = periodAt(plan.quotaPeriod, anchor, now);
  return {
    status: 'active',
    anchor,
    currentPeriodStart: period.start,
    currentPeriodEnd: period.end,
    trialEndsAt: null,
    cancelAtPeriodEnd: false,
    canceledAt: null,
  };
}

/** subscribe (consumer): pending_approval, or what `start` decides. */
export function initialState(plan: PlanTerms, payments: PaymentsMode, now: Date): SubscriptionState {
  if (needsApproval(plan))
    return {
      status: 'pending_approval',
      anchor: null,
      currentPeriodStart: null,
      currentPeriodEnd: null,
      trialEndsAt: null,
      cancelAtPeriodEnd: false,
      canceledAt: null,
    };
  return start(plan, payments, now);
}

/** approve (provider): pending_approval → trialing | incomplete | active. */
export function approve(
  sub: SubscriptionState,
  plan: PlanTerms,
  payments: PaymentsMode,
  now: Date,
): SubscriptionState {
  if (sub.status !== 'pending_approval') throw illegal(sub.status, 'approve', ['pending_approval']);
  return start(plan, payments, now);
}

/** reject (provider): pending_approval → canceled. */
export function reject(sub: SubscriptionState, now: Date): SubscriptionState {
  if (sub.status !== 'pending_approval') throw illegal(sub.status, 'reject', ['pending_approval']);
  return { ...sub, status: 'canceled', canceledAt: now };
}

/**
 * cancel (consumer). Now: any live state → canceled. At period end: trialing/active/past_due keep
 * their state with cancelAtPeriodEnd (access until currentPeriodEnd); a subscription without a
 * running period (pending_approval, incomplete) has nothing to run out, so it is canceled now.
 */
export function cancel(sub: SubscriptionState, atPeriodEnd: boolean, now: Date): SubscriptionState {
  if (!isLive(sub.status)) throw illegal(sub.status, 'cancel', LIVE_STATUSES);
  if (atPeriodEnd && PERIOD_STATUSES.has(sub.status)) return { ...sub, cancelAtPeriodEnd: true };
  return { ...sub, status: 'canceled', canceledAt: now, cancelAtPeriodEnd: false };
}

/**
 * change-plan (consumer): trialing/active/past_due keep their state, anchor and trial; the new
 * plan's limits apply at once and the current period is re-derived from the new plan's period
 * kind. A pending cancellation is withdrawn (changing plan means staying).
 */
export function changePlan(sub: SubscriptionState, plan: PlanTerms, now: Date): SubscriptionState {
  const allowed: SubscriptionStatus[] = ['trialing', 'active', 'past_due'];
  if (!allowed.includes(sub.status)) throw illegal(sub.status, 'change the plan of', allowed);
  const anchor = sub.anchor ?? now;
  const period = periodAt(plan.quotaPeriod, anchor, now);
  return {
    ...sub,
    anchor,
    currentPeriodStart: period.start,
    currentPeriodEnd: period.end,
    cancelAtPeriodEnd: false,
  };
}

/** payment succeeded (billing, on the verified webhook): incomplete | past_due → active. */
export function paymentSucceeded(sub: SubscriptionState, plan: PlanTerms, now: Date): SubscriptionState {
  if (sub.status === 'incomplete') return activate(plan, now);
  if (sub.status === 'past_due') return { ...sub, status: 'active', paymentGraceEndsAt: null };
  throw illegal(sub.status, 'record a payment for', ['incomplete', 'past_due']);
}

/**
 * payment failed (billing): active → past_due with access until `graceEndsAt` (billing's dunning
 * grace); a subscription already past_due keeps the grace it has (the first failure starts it).
 */
export function paymentFailed(sub: SubscriptionState, graceEndsAt: Date): SubscriptionState {
  if (sub.status === 'past_due') return { ...sub, paymentGraceEndsAt: sub.paymentGraceEndsAt ?? graceEndsAt };
  if (sub.status !== 'active') throw illegal(sub.status, 'record a failed payment for', ['active', 'past_due']);
  return { ...sub, status: 'past_due', paymentGraceEndsAt: graceEndsAt };
}

/**
 * ended for non-payment (billing: the last dunning retry failed, or the payment provider ended the
 * subscription): any state with running periods → canceled now. No period close: nothing more is billed.
 */
export function endForNonPayment(sub: SubscriptionState, now: Date): SubscriptionState {
  const allowed: SubscriptionStatus[] = ['trialing', 'active', 'past_due'];
  if (!allowed.includes(sub.status)) throw illegal(sub.status, 'end for non-payment', allowed);
  return { ...sub, status: 'canceled', canceledAt: now, cancelAtPeriodEnd: false };
}

/** expire (billing: checkout abandoned, or dunning gave up): incomplete | past_due → expired. */
export function expire(sub: SubscriptionState, now: Date): SubscriptionState {
  if (sub.status !== 'incomplete' && sub.status !== 'past_due')
    throw illegal(sub.status, 'expire', ['incomplete', 'past_due']);
  return { ...sub, status: 'expired', canceledAt: now };
}

/**
 * Time passing (the system, applied lazily whenever a subscription is read): a cancellation due at
 * the period end takes effect; an ended trial becomes active; the current period rolls forward to
 * the one containing `now`. Returns null when nothing changes.
 */
export function settle(sub: SubscriptionState, quotaPeriod: PeriodKind, now: Date): SubscriptionState | null {
  if (!PERIOD_STATUSES.has(sub.status) || sub.anchor === null || sub.currentPeriodEnd === null) return null;
  if (
    sub.currentPeriodEnd.getTime() > now.getTime() &&
    !(sub.trialEndsAt && sub.trialEndsAt <= now && sub.status === 'trialing')
  )
    return null;
  if (sub.cancelAtPeriodEnd && sub.currentPeriodEnd.getTime() <= now.getTime())
    return { ...sub, status: 'canceled', canceledAt: sub.currentPeriodEnd, cancelAtPeriodEnd: false };
  const period = periodAt(quotaPeriod, sub.anchor, now);
  const trialOver = sub.status === 'trialing' && sub.trialEndsAt !== null && sub.trialEndsAt <= now;
  return {
    ...sub,
    status: trialOver ? 'active' : sub.status,
    currentPeriodStart: period.start,
    currentPeriodEnd: period.end,
  };
}
