import type { PayoutState, PayoutStatus } from '@app/catalog';
import type { ConnectedAccount } from '../payments/payments.port';

/** Disabled reasons the provider cannot fix by filling in the onboarding form. */
function isBlocked(reason: string): boolean {
  return reason.startsWith('rejected.') || reason === 'listed' || reason === 'platform_paused';
}

/** Disabled reasons that mean "the provider must supply something". */
function needsAction(reason: string): boolean {
  return reason === 'requirements.past_due' || reason.startsWith('action_required.');
}

/**
 * A provider's payout status, derived from the connected account as it is now (never from which
 * event arrived last):
 *
 * | status        | when                                                                              |
 * |---------------|-----------------------------------------------------------------------------------|
 * | `ready`       | charges and payouts are both enabled (requirements may still be listed, due later)|
 * | `restricted`  | rejected / listed / paused by Stripe; or onboarding was submitted but Stripe needs more (something currently or past due, or an action_required reason) |
 * | `not_started` | the onboarding form has not been submitted yet                                    |
 * | `pending`     | submitted, nothing due from the provider, Stripe is verifying (under_review, pending_verification) |
 */
export function derivePayoutStatus(account: ConnectedAccount): PayoutStatus {
  if (account.chargesEnabled && account.payoutsEnabled) return 'ready';
  const { disabledReason, currentlyDue, pastDue } = account.requirements;
  if (disabledReason !== null && isBlocked(disabledReason)) return 'restricted';
  if (!account.detailsSubmitted) return 'not_started';
  if (currentlyDue.length > 0 || pastDue.length > 0) return 'restricted';
  if (disabledReason !== null && needsAction(disabledReason)) return 'restricted';
  return 'pending';
}

/** The provider row's payout columns for this account: status, both flags, and what is due now. */
export function derivePayoutState(account: ConnectedAccount): PayoutState {
  const due = [...new Set([...account.requirements.pastDue, ...account.requirements.currentlyDue])].sort();
  return {
    payoutStatus: derivePayoutStatus(account),
    chargesEnabled: account.chargesEnabled,
    payoutsEnabled: account.payoutsEnabled,
    payoutRequirements: due,
  };
}
