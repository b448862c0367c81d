import { ProvidersService, type PayoutStatus, type ProviderEntity, type ProviderInput } from '@app/catalog';
import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { PaymentsMode } from '../billing.env';
import { PaymentsPort, type ConnectedAccount } from '../payments/payments.port';
import { derivePayoutState } from './payout-state';

/** Where the hosted onboarding sends the provider back: `returnUrl` when done, `refreshUrl` when the link expired. */
export interface OnboardingUrls {
  returnUrl: string;
  refreshUrl: string;
}

/**
 * A fresh single-use onboarding link. With local payments there is nothing to onboard: `url` is
 * null and `status` says payouts are (already) ready.
 */
export interface OnboardingLinkResult {
  url: string | null;
  expiresAt: Date | null;
  status: PayoutStatus;
}

export interface PayoutsOverview {
  mode: PaymentsMode;
  status: PayoutStatus;
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  /** What the payment provider needs from the provider now (Stripe requirement names). */
  requirements: string[];
  /** Whether this install onboards providers with the payment provider at all (false with local payments). */
  onboardingRequired: boolean;
  /** Whether a connected account exists yet. */
  accountConnected: boolean;
}

/** What applying an account.updated came to. */
export type AccountSyncOutcome = 'applied' | 'unknown_account';

/**
 * Provider onboarding across catalog (the provider row) and the PaymentsPort (the connected
 * account): becoming a provider in the port's initial payout state, minting onboarding links, and
 * syncing payout state from the connected account.
 */
@Injectable()
export class ProviderOnboardingService {
  private readonly logger = new Logger(ProviderOnboardingService.name);

  constructor(
    private readonly providers: ProvidersService,
    private readonly payments: PaymentsPort,
  ) {}

  becomeProvider(accountId: string, input: ProviderInput): Promise<ProviderEntity> {
    return this.providers.becomeProvider(accountId, input, this.payments.initialPayoutState());
  }

  async payouts(accountId: string): Promise<PayoutsOverview> {
    const provider = await this.providers.getForOwner(accountId);
    return {
      mode: this.payments.mode,
      status: provider.payoutStatus,
      chargesEnabled: provider.chargesEnabled,
      payoutsEnabled: provider.payoutsEnabled,
      requirements: provider.payoutRequirements,
      onboardingRequired: this.payments.requiresOnboarding,
      accountConnected: provider.stripeAccountId !== null,
    };
  }

  /**
   * A new single-use onboarding link for the caller's provider. The first call creates the
   * connected account (idempotent per provider id at the payment provider, and recorded only if
   * none is recorded yet, so concurrent first calls end up with one account).
   */
  async onboardingLink(accountId: string, urls: OnboardingUrls): Promise<OnboardingLinkResult> {
    const provider = await this.providers.getForOwner(accountId);
    if (!this.payments.requiresOnboarding)
      return { url: null, expiresAt: null, status: provider.payoutStatus };

    let connectedAccountId = provider.stripeAccountId;
    let status = provider.payoutStatus;
    if (connectedAccountId === null) {
      const account = await this.payments.createConnectedAccount({ providerId: provider.id });
      connectedAccountId = await this.providers.setStripeAccount(provider.id, account.id);
      if (connectedAccountId === account.id) {
        const state = derivePayoutState(account);
        await this.providers.setPayoutState(provider.id, state);
        status = state.payoutStatus;
      }
      this.logger.log({ providerId: provider.id, account: connectedAccountId }, 'connected account created');
    }
    const link = await this.payments.createOnboardingLink(
      connectedAccountId,
      urls.returnUrl,
      urls.refreshUrl,
    );
    return { url: link.url, expiresAt: link.expiresAt, status };
  }

  /**
   * Re-reads the connected account from the payment provider and applies it, so the stored state is
   * the account's current state whatever order its events arrived in. Events about accounts that
   * are not a provider's here are reported as `unknown_account`.
   */
  async syncConnectedAccount(
    connectedAccountId: string,
    manager?: EntityManager,
  ): Promise<AccountSyncOutcome> {
    const provider = await this.providers.findByStripeAccount(connectedAccountId);
    if (!provider) return 'unknown_account';
    const account = await this.payments.retrieveConnectedAccount(connectedAccountId);
    return this.applyAccountUpdated(account, manager);
  }

  /** Writes the payout state derived from `account` onto its provider (inside `manager`'s transaction when given). */
  async applyAccountUpdated(account: ConnectedAccount, manager?: EntityManager): Promise<AccountSyncOutcome> {
    const provider = await this.providers.findByStripeAccount(account.id);
    if (!provider) return 'unknown_account';
    const state = derivePayoutState(account);
    await this.providers.setPayoutState(provider.id, state, manager);
    if (state.payoutStatus !== provider.payoutStatus) {
      this.logger.log(
        { providerId: provider.id, from: provider.payoutStatus, to: state.payoutStatus },
        'payout status changed',
      );
    }
    return 'applied';
  }
}
