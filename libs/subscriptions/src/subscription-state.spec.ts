import { AppError } from '@app/common';
import {
  approve,
  cancel,
  changePlan,
  expire,
  initialState,
  paymentFailed,
  endForNonPayment,
  paymentSucceeded,
  reject,
  settle,
  type PlanTerms,
  type SubscriptionState,
} from './subscription-state';

const NOW = new Date('2026-01-31T12:00:00Z');
const FREE: PlanTerms = {
  paid: false,
  approvalRequired: false,
  visibility: 'public',
  trialDays: 0,
  quotaPeriod: 'month',
};
const PAID: PlanTerms = { ...FREE, paid: true };

function conflictOf(work: () => unknown): AppError {
  try {
    work();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a conflict');
}

describe('subscription state machine', () => {
  describe('subscribe', () => {
    it('activates a free plan at once with a period anchored at now', () => {
      expect(initialState(FREE, 'stripe', NOW)).toEqual({
        status: 'active',
        anchor: NOW,
        currentPeriodStart: NOW,
        currentPeriodEnd: new Date('2026-02-28T12:00:00Z'),
        trialEndsAt: null,
        cancelAtPeriodEnd: false,
        canceledAt: null,
      });
    });

    it('activates a paid plan at once with local payments', () => {
      expect(initialState(PAID, 'local', NOW).status).toBe('active');
    });

    it('leaves a paid plan incomplete, without a period, with stripe payments', () => {
      const state = initialState(PAID, 'stripe', NOW);
      expect(state).toMatchObject({ status: 'incomplete', anchor: null, currentPeriodStart: null });
    });

    it('waits for approval on approval-required and private plans', () => {
      expect(initialState({ ...FREE, approvalRequired: true }, 'local', NOW).status).toBe('pending_approval');
      expect(initialState({ ...FREE, visibility: 'private' }, 'local', NOW).status).toBe('pending_approval');
    });

    it('starts a trial when the plan has trial days', () => {
      const state = initialState({ ...PAID, trialDays: 14 }, 'stripe', NOW);
      expect(state).toMatchObject({ status: 'trialing', trialEndsAt: new Date('2026-02-14T12:00:00Z') });
    });

    it('uses the UTC day for daily plans', () => {
      const state = initialState({ ...FREE, quotaPeriod: 'day' }, 'local', NOW);
      expect(state.currentPeriodStart).toEqual(new Date('2026-01-31T00:00:00Z'));
      expect(state.currentPeriodEnd).toEqual(new Date('2026-02-01T00:00:00Z'));
    });
  });

  describe('provider decision', () => {
    const pending = initialState({ ...FREE, approvalRequired: true }, 'local', NOW);

    it('approve starts the subscription', () => {
      expect(approve(pending, FREE, 'local', NOW).status).toBe('active');
      expect(approve(pending, PAID, 'stripe', NOW).status).toBe('incomplete');
    });

    it('reject cancels it', () => {
      expect(reject(pending, NOW)).toMatchObject({ status: 'canceled', canceledAt: NOW });
    });

    it('refuses to approve or reject twice', () => {
      const active = approve(pending, FREE, 'local', NOW);
      expect(conflictOf(() => approve(active, FREE, 'local', NOW)).code).toBe('conflict');
      expect(conflictOf(() => reject(active, NOW)).code).toBe('conflict');
    });
  });

  describe('cancel', () => {
    const active = initialState(FREE, 'local', NOW);

    it('now: canceled at once', () => {
      expect(cancel(active, false, NOW)).toMatchObject({ status: 'canceled', canceledAt: NOW });
    });

    it('at period end: stays active with the flag', () => {
      expect(cancel(active, true, NOW)).toMatchObject({
        status: 'active',
        cancelAtPeriodEnd: true,
        canceledAt: null,
      });
    });

    it('at period end of a subscription without a period cancels now', () => {
      const pending = initialState({ ...FREE, approvalRequired: true }, 'local', NOW);
      expect(cancel(pending, true, NOW).status).toBe('canceled');
    });

    it('refuses to cancel a canceled subscription', () => {
      expect(conflictOf(() => cancel(cancel(active, false, NOW), false, NOW)).code).toBe('conflict');
    });
  });

  describe('change plan', () => {
    it('keeps the state and anchor, withdraws a pending cancellation, re-derives the period', () => {
      const active = cancel(initialState(FREE, 'local', NOW), true, NOW);
      const later = new Date('2026-02-10T09:00:00Z');
      const changed = changePlan(active, { ...PAID, quotaPeriod: 'day' }, later);
      expect(changed).toMatchObject({
        status: 'active',
        anchor: NOW,
        cancelAtPeriodEnd: false,
        currentPeriodStart: new Date('2026-02-10T00:00:00Z'),
      });
    });

    it('is refused while pending approval', () => {
      const pending = initialState({ ...FREE, approvalRequired: true }, 'local', NOW);
      expect(conflictOf(() => changePlan(pending, FREE, NOW)).code).toBe('conflict');
    });
  });

  describe('payments (billing)', () => {
    it('incomplete → active on payment, with periods starting then', () => {
      const incomplete = initialState(PAID, 'stripe', NOW);
      const paidAt = new Date('2026-02-01T00:00:00Z');
      expect(paymentSucceeded(incomplete, PAID, paidAt)).toMatchObject({ status: 'active', anchor: paidAt });
    });

    it('active → past_due → active, and past_due → expired', () => {
      const graceEnd = new Date('2026-01-18T00:00:00Z');
      const pastDue = paymentFailed(initialState(PAID, 'local', NOW), graceEnd);
      expect(pastDue).toMatchObject({ status: 'past_due', paymentGraceEndsAt: graceEnd });
      expect(paymentSucceeded(pastDue, PAID, NOW)).toMatchObject({ status: 'active', paymentGraceEndsAt: null });
      expect(expire(pastDue, NOW).status).toBe('expired');
    });

    it('a second failure keeps the first grace; the last failed retry cancels now', () => {
      const first = new Date('2026-01-18T00:00:00Z');
      const pastDue = paymentFailed(initialState(PAID, 'local', NOW), first);
      expect(paymentFailed(pastDue, new Date('2026-01-30T00:00:00Z')).paymentGraceEndsAt).toEqual(first);
      const ended = endForNonPayment(pastDue, NOW);
      expect(ended).toMatchObject({ status: 'canceled', canceledAt: NOW, cancelAtPeriodEnd: false });
      expect(() => endForNonPayment(ended, NOW)).toThrow(/canceled/);
    });
  });

  describe('time passing (settle)', () => {
    const active = initialState(FREE, 'local', NOW);

    it('changes nothing inside the period', () => {
      expect(settle(active, 'month', new Date('2026-02-01T00:00:00Z'))).toBeNull();
    });

    it('rolls to the period containing now', () => {
      const next = settle(active, 'month', new Date('2026-03-05T00:00:00Z')) as SubscriptionState;
      expect(next.currentPeriodStart).toEqual(new Date('2026-02-28T12:00:00Z'));
      expect(next.currentPeriodEnd).toEqual(new Date('2026-03-31T12:00:00Z'));
    });

    it('cancels at the period end when asked, dated at the end', () => {
      const canceling = cancel(active, true, NOW);
      expect(settle(canceling, 'month', new Date('2026-03-01T00:00:00Z'))).toMatchObject({
        status: 'canceled',
        canceledAt: new Date('2026-02-28T12:00:00Z'),
      });
    });

    it('ends a trial into active', () => {
      const trialing = initialState({ ...FREE, trialDays: 3 }, 'local', NOW);
      expect(settle(trialing, 'month', new Date('2026-02-04T00:00:00Z'))?.status).toBe('active');
    });

    it('leaves states without periods alone', () => {
      expect(settle(initialState(PAID, 'stripe', NOW), 'month', new Date('2027-01-01T00:00:00Z'))).toBeNull();
    });
  });
});
