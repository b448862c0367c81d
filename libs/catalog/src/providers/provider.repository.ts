import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ProviderEntity } from './provider.entity';

export type NewProvider = Pick<ProviderEntity, 'ownerAccountId' | 'displayName' | 'slug' | 'supportEmail' | 'websiteUrl'>;
export type PayoutState = Pick<ProviderEntity, 'payoutStatus' | 'chargesEnabled' | 'payoutsEnabled' | 'payoutRequirements'>;

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

  /** System read (Stripe account.updated). */
  findByStripeAccount(stripeAccountId: string): Promise<ProviderEntity | null> {
    return this.repo.findOneBy({ stripeAccountId });
  }

  insert(values: NewProvider, payout: PayoutState): Promise<ProviderEntity> {
    return this.repo.save(this.repo.create({ ...values, ...payout, stripeAccountId: null, feeBpsOverride: null }));
  }

  async update(ownerAccountId: string, values: Partial<Pick<ProviderEntity, 'displayName' | 'supportEmail' | 'websiteUrl'>>): Promise<void> {
    await this.repo.update({ ownerAccountId }, values);
  }

  async setStripeAccount(ownerAccountId: string, stripeAccountId: string): Promise<void> {
    await this.repo.update({ ownerAccountId }, { stripeAccountId });
  }

  async setPayoutState(providerId: string, state: PayoutState): Promise<void> {
    await this.repo.update({ id: providerId }, state);
  }
}
