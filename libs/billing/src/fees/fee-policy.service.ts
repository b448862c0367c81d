import { ProvidersService } from '@app/catalog';
import { notFound } from '@app/common';
import { Injectable } from '@nestjs/common';
import { BillingEnv } from '../billing.env';

export interface ProviderFee {
  providerId: string;
  /** The fee charged on this provider's invoices. */
  feeBps: number;
  /** The admin's override, or null (PLATFORM_FEE_BPS applies). */
  overrideBps: number | null;
  platformDefaultBps: number;
}

/**
 * The platform fee of a provider: `providers.fee_bps_override` (libs/catalog; the same field
 * Checkout's application fee reads) else PLATFORM_FEE_BPS.
 */
@Injectable()
export class FeePolicy {
  constructor(
    private readonly providers: ProvidersService,
    private readonly env: BillingEnv,
  ) {}

  async feeFor(providerId: string): Promise<ProviderFee> {
    const provider = await this.providers.findById(providerId);
    if (!provider) throw notFound('Provider');
    return this.view(provider.id, provider.feeBpsOverride);
  }

  /** Admin: sets (or with null clears) the provider's override. 404 for an unknown provider. */
  async setOverride(providerId: string, bps: number | null): Promise<ProviderFee> {
    const provider = await this.providers.setFeeBpsOverride(providerId, bps);
    return this.view(provider.id, provider.feeBpsOverride);
  }

  private view(providerId: string, override: number | null): ProviderFee {
    return {
      providerId,
      feeBps: override ?? this.env.PLATFORM_FEE_BPS,
      overrideBps: override,
      platformDefaultBps: this.env.PLATFORM_FEE_BPS,
    };
  }
}
