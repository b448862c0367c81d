import type { ConnectedAccount } from '../payments/payments.port';
import { derivePayoutState, derivePayoutStatus } from './payout-state';

function account(
  overrides: Partial<Omit<ConnectedAccount, 'requirements'>> & {
    requirements?: Partial<ConnectedAccount['requirements']>;
  } = {},
): ConnectedAccount {
  const { requirements, ...rest } = overrides;
  return {
    id: 'acct_1',
    chargesEnabled: false,
    payoutsEnabled: false,
    detailsSubmitted: false,
    ...rest,
    requirements: {
      currentlyDue: [],
      pastDue: [],
      eventuallyDue: [],
      pendingVerification: [],
      disabledReason: null,
      currentDeadline: null,
      ...requirements,
    },
  };
}

/** What Stripe reports for a connected account created a moment ago. */
const freshAccount = account({
  requirements: {
    currentlyDue: ['business_type', 'external_account', 'tos_acceptance.date'],
    pastDue: ['business_type', 'external_account', 'tos_acceptance.date'],
    disabledReason: 'requirements.past_due',
  },
});

describe('derivePayoutStatus', () => {
  it('is not_started for a fresh account, although Stripe already lists its requirements as past due', () => {
    expect(derivePayoutStatus(freshAccount)).toBe('not_started');
  });

  it('is ready when charges and payouts are both enabled', () => {
    expect(
      derivePayoutStatus(account({ chargesEnabled: true, payoutsEnabled: true, detailsSubmitted: true })),
    ).toBe('ready');
  });

  it('stays ready while requirements are due later (a future deadline does not stop payouts yet)', () => {
    const soonDue = account({
      chargesEnabled: true,
      payoutsEnabled: true,
      detailsSubmitted: true,
      requirements: {
        currentlyDue: ['individual.id_number'],
        currentDeadline: new Date('2031-01-01T00:00:00Z'),
      },
    });
    expect(derivePayoutStatus(soonDue)).toBe('ready');
    expect(derivePayoutState(soonDue).payoutRequirements).toEqual(['individual.id_number']);
  });

  it('is not ready when only charges, or only payouts, are enabled', () => {
    expect(derivePayoutStatus(account({ chargesEnabled: true, detailsSubmitted: true }))).toBe('pending');
    expect(
      derivePayoutStatus(
        account({
          payoutsEnabled: true,
          detailsSubmitted: true,
          requirements: { currentlyDue: ['external_account'] },
        }),
      ),
    ).toBe('restricted');
  });

  it('is pending once submitted while Stripe verifies and nothing is due', () => {
    expect(
      derivePayoutStatus(
        account({
          detailsSubmitted: true,
          requirements: {
            disabledReason: 'requirements.pending_verification',
            pendingVerification: ['individual.verification.document'],
          },
        }),
      ),
    ).toBe('pending');
    expect(
      derivePayoutStatus(
        account({ detailsSubmitted: true, requirements: { disabledReason: 'under_review' } }),
      ),
    ).toBe('pending');
    expect(derivePayoutStatus(account({ detailsSubmitted: true }))).toBe('pending');
  });

  it('is restricted when submitted but Stripe needs more from the provider', () => {
    expect(
      derivePayoutStatus(
        account({
          detailsSubmitted: true,
          requirements: { currentlyDue: ['individual.verification.document'] },
        }),
      ),
    ).toBe('restricted');
    expect(
      derivePayoutStatus(
        account({ detailsSubmitted: true, requirements: { pastDue: ['external_account'] } }),
      ),
    ).toBe('restricted');
    expect(
      derivePayoutStatus(
        account({
          detailsSubmitted: true,
          requirements: { disabledReason: 'action_required.requested_capabilities' },
        }),
      ),
    ).toBe('restricted');
  });

  it.each(['rejected.fraud', 'rejected.terms_of_service', 'listed', 'platform_paused'])(
    'is restricted when Stripe disabled the account (%s), submitted or not',
    (reason) => {
      expect(derivePayoutStatus(account({ requirements: { disabledReason: reason } }))).toBe('restricted');
      expect(
        derivePayoutStatus(account({ detailsSubmitted: true, requirements: { disabledReason: reason } })),
      ).toBe('restricted');
    },
  );
});

describe('derivePayoutState', () => {
  it('copies both flags and lists what is due now, past-due first merged, sorted and without duplicates', () => {
    expect(derivePayoutState(freshAccount)).toEqual({
      payoutStatus: 'not_started',
      chargesEnabled: false,
      payoutsEnabled: false,
      payoutRequirements: ['business_type', 'external_account', 'tos_acceptance.date'],
    });
  });

  it('depends only on the account object, so the same object always yields the same state', () => {
    const ready = account({ chargesEnabled: true, payoutsEnabled: true, detailsSubmitted: true });
    expect(derivePayoutState(ready)).toEqual(derivePayoutState(structuredClone(ready)));
  });
});
