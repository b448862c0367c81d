import { AppError, conflict, isUniqueViolation, notFound, validationFailed } from '@app/common';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { PayoutStatus, ProviderEntity } from './provider.entity';
import { ProviderRepository, type PayoutState, type ProviderChanges } from './provider.repository';
import {
  checkDisplayName,
  checkSlug,
  checkSupportEmail,
  checkWebsiteUrl,
  type RuleResult,
} from './provider.rules';

/** What an account sends to become a provider. */
export interface ProviderInput {
  displayName: string;
  slug: string;
  supportEmail: string;
  websiteUrl?: string | null;
}

/** What a provider may change about its profile (the slug is permanent: it is in URLs). */
export interface ProviderUpdate {
  displayName?: string;
  supportEmail?: string;
  /** `null` clears it. */
  websiteUrl?: string | null;
}

function enforce(result: RuleResult): void {
  if (!result.ok) throw validationFailed(result.field, result.reason);
}

/**
 * Provider profiles: one per account, with a unique slug. Owner methods take the caller's account
 * id; the system methods (payout state from the PaymentsPort, plan publishing) take a provider id
 * or a Stripe account id and are called by other libs only, never with a caller-chosen id.
 *
 * The payout flags are written only by whoever owns the PaymentsPort (libs/billing): catalog stores
 * them and answers `getPayoutStatus` so plans can refuse to publish a paid plan too early.
 */
@Injectable()
export class ProvidersService {
  constructor(private readonly providers: ProviderRepository) {}

  /** Makes the account a provider, with the payout state the PaymentsPort starts providers in. */
  async becomeProvider(
    accountId: string,
    input: ProviderInput,
    initialPayout: PayoutState,
  ): Promise<ProviderEntity> {
    const displayName = input.displayName.trim();
    const supportEmail = input.supportEmail.trim();
    const websiteUrl = input.websiteUrl ?? null;
    enforce(checkDisplayName(displayName));
    enforce(checkSlug(input.slug));
    enforce(checkSupportEmail(supportEmail));
    if (websiteUrl !== null) enforce(checkWebsiteUrl(websiteUrl));

    const existing = await this.providers.findByOwner(accountId);
    if (existing) throw this.alreadyProvider(existing.slug);
    try {
      return await this.providers.insert(
        { ownerAccountId: accountId, displayName, slug: input.slug, supportEmail, websiteUrl },
        initialPayout,
      );
    } catch (error) {
      if (isUniqueViolation(error, 'uq_providers__slug')) {
        throw conflict(`The slug "${input.slug}" is taken by another provider: choose another one.`, {
          field: 'slug',
        });
      }
      if (isUniqueViolation(error, 'uq_providers__owner_account_id')) {
        const winner = await this.providers.findByOwner(accountId);
        throw this.alreadyProvider(winner?.slug ?? input.slug);
      }
      throw error;
    }
  }

  /** The caller's provider profile, or null when the account is not a provider. */
  findForOwner(accountId: string): Promise<ProviderEntity | null> {
    return this.providers.findByOwner(accountId);
  }

  /** The caller's provider profile; 404 telling them how to become one. */
  async getForOwner(accountId: string): Promise<ProviderEntity> {
    const provider = await this.providers.findByOwner(accountId);
    if (!provider) {
      throw new AppError(
        'not_found',
        'This account is not a provider yet: POST /v1/provider with a display name, slug and support email first.',
      );
    }
    return provider;
  }

  async update(accountId: string, input: ProviderUpdate): Promise<ProviderEntity> {
    await this.getForOwner(accountId);
    const changes: ProviderChanges = {};
    if (input.displayName !== undefined) {
      changes.displayName = input.displayName.trim();
      enforce(checkDisplayName(changes.displayName));
    }
    if (input.supportEmail !== undefined) {
      changes.supportEmail = input.supportEmail.trim();
      enforce(checkSupportEmail(changes.supportEmail));
    }
    if (input.websiteUrl !== undefined) {
      if (input.websiteUrl !== null) enforce(checkWebsiteUrl(input.websiteUrl));
      changes.websiteUrl = input.websiteUrl;
    }
    await this.providers.update(accountId, changes);
    return this.getForOwner(accountId);
  }

  // ---- system methods (other libs; never reachable with a caller-chosen id) ----------------------

  /** The provider a Stripe connected account belongs to (account.updated), or null if none of ours. */
  findByStripeAccount(stripeAccountId: string): Promise<ProviderEntity | null> {
    return this.providers.findByStripeAccount(stripeAccountId);
  }

  /**
   * Records the provider's connected account unless one is recorded already (two concurrent first
   * onboarding requests). Returns the account id the provider holds afterwards: use that one.
   */
  async setStripeAccount(providerId: string, stripeAccountId: string): Promise<string> {
    const stored = await this.providers.setStripeAccountIfUnset(providerId, stripeAccountId);
    if (stored === null) throw notFound('Provider');
    return stored;
  }

  /** Writes the payout state derived by the PaymentsPort; inside the caller's transaction when given. */
  async setPayoutState(providerId: string, state: PayoutState, manager?: EntityManager): Promise<void> {
    await this.providers.setPayoutState(providerId, state, manager);
  }

  /** The platform fee override of a provider (billing, set by an admin); null uses PLATFORM_FEE_BPS. 404 for an unknown provider. */
  async setFeeBpsOverride(providerId: string, bps: number | null): Promise<ProviderEntity> {
    if (!(await this.providers.setFeeBpsOverride(providerId, bps))) throw notFound('Provider');
    const provider = await this.providers.findById(providerId);
    if (!provider) throw notFound('Provider');
    return provider;
  }

  /** A provider by id (billing: where a subscription's payments go), or null. */
  findById(providerId: string): Promise<ProviderEntity | null> {
    return this.providers.findById(providerId);
  }

  /** Whether the provider can be paid (`ready` is required to publish a paid plan). */
  async getPayoutStatus(providerId: string): Promise<PayoutStatus> {
    const provider = await this.providers.findById(providerId);
    if (!provider) throw notFound('Provider');
    return provider.payoutStatus;
  }

  private alreadyProvider(slug: string): AppError {
    return conflict(
      `This account is already the provider "${slug}": an account has at most one provider profile. Use PATCH /v1/provider to change it.`,
      { field: 'account' },
    );
  }
}
