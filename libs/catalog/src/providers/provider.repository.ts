import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type EntityManager, type Repository } from 'typeorm';
import { ProviderEntity } from './provider.entity';

export type NewProvider = Pick<
  ProviderEntity,
  'ownerAccountId' | 'displayName' | 'slug' | 'supportEmail' | 'websiteUrl'
>;
export type ProviderChanges = Partial<Pick<ProviderEntity, 'displayName' | 'supportEmail' | 'websiteUrl'>>;
/** What the PaymentsPort reports about a provider's ability to be paid. */
export type PayoutState = Pick<
  ProviderEntity,
  'payoutStatus' | 'chargesEnabled' | 'payoutsEnabled' | 'payoutRequirements'
>;

/**
 * The `providers` table. Reads and writes a provider makes about itself are scoped by the owner's
 * account id; the system methods (Stripe webhooks, plan publishing) go by provider id or Stripe
 * account id and are never reachable with a caller-chosen id.
 */
@Injectable()
export class ProviderRepository {
  constructor(@InjectRepository(ProviderEntity) private readonly repo: Repository<ProviderEntity>) {}

  findByOwner(ownerAccountId: string): Promise<ProviderEntity | null> {
    return this.repo.findOneBy({ ownerAccountId });
  }

  /** Public read (provider pages). */
  findBySlug(slug: string): Promise<ProviderEntity | null> {
    return this.repo.findOneBy({ slug });
  }

  /** System read (plans asking whether payouts are ready). */
  findById(id: string): Promise<ProviderEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** System read (Stripe account.updated). */
  findByStripeAccount(stripeAccountId: string): Promise<ProviderEntity | null> {
    return this.repo.findOneBy({ stripeAccountId });
  }

  insert(values: NewProvider, payout: PayoutState): Promise<ProviderEntity> {
    return this.repo.save(
      this.repo.create({ ...values, ...payout, stripeAccountId: null, feeBpsOverride: null }),
    );
  }

  async update(ownerAccountId: string, values: ProviderChanges): Promise<void> {
    if (Object.keys(values).length === 0) return;
    await this.repo.update({ ownerAccountId }, values);
  }

  /**
   * Records the connected account only if none is recorded yet, so two concurrent first onboarding
   * requests cannot overwrite each other. Returns the account id the row holds afterwards.
   */
  async setStripeAccountIfUnset(providerId: string, stripeAccountId: string): Promise<string | null> {
    await this.repo.update({ id: providerId, stripeAccountId: IsNull() }, { stripeAccountId });
    return (await this.repo.findOneBy({ id: providerId }))?.stripeAccountId ?? null;
  }

  /** Writes the payout state, inside the caller's transaction when `manager` is given. */
  async setPayoutState(providerId: string, state: PayoutState, manager?: EntityManager): Promise<void> {
    const repo = manager ? manager.getRepository(ProviderEntity) : this.repo;
    await repo.update({ id: providerId }, state);
  }

  /** System write (libs/billing, admin): the provider's platform fee override in bps, or null; false when no such provider. */
  async setFeeBpsOverride(providerId: string, bps: number | null): Promise<boolean> {
    const result = await this.repo.update({ id: providerId }, { feeBpsOverride: bps });
    return (result.affected ?? 0) > 0;
  }
}
