import { ProvidersService } from '@app/catalog';
import { conflict, notFound } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import { BillingEnv } from '../billing.env';
import { canonicalDecimal } from '../money/money';
import { PaymentsPort, type CheckoutSession } from '../payments/payments.port';

/** Where the provider's share of a subscription's charges goes, and the platform's fee. */
export interface Payee {
  providerId: string;
  /** The provider's connected account (charges: enabled; payouts: enabled). */
  destinationAccountId: string;
  /** The platform fee in basis points: the provider's override, else PLATFORM_FEE_BPS. */
  feeBps: number;
}

/** What the payment page of a subscription's first period is about. */
export interface SubscriptionCheckoutInput {
  subscriptionId: string;
  providerId: string;
  consumerEmail: string | null;
  productName: string;
  currency: string;
  /** The plan's monthly price in minor units (decimal string, as PlanView carries it). */
  priceAmountMinor: string;
  /** The plan (the overage price's business key) and its overage unit price (soft quotas), if any. */
  planId?: string;
  overageUnitPriceMinor?: string | null;
  successUrl: string;
  cancelUrl: string;
}

/**
 * Stripe Checkout for paid subscriptions (README "Checkout"): decides whether a provider can take
 * payments, and opens the hosted payment page of a subscription's first period as a destination
 * charge to the provider's connected account with the platform fee as application fee. Activation
 * comes back through the inbox (`checkout.session.completed` → CheckoutCompletions).
 */
@Injectable()
export class SubscriptionCheckoutService {
  private readonly logger = new Logger(SubscriptionCheckoutService.name);

  constructor(
    private readonly payments: PaymentsPort,
    private readonly providers: ProvidersService,
    private readonly env: BillingEnv,
  ) {}

  /** Whether paid subscriptions are paid through a hosted checkout (stripe) rather than at once (local). */
  get required(): boolean {
    return this.payments.mode === 'stripe';
  }

  /**
   * The provider's payee details; 409 `conflict` when the provider has no connected account with
   * charges and payouts enabled (nobody could be paid, so nobody should be charged).
   */
  async payee(providerId: string): Promise<Payee> {
    const provider = await this.providers.findById(providerId);
    if (!provider) throw notFound('Provider');
    if (provider.stripeAccountId === null || !provider.chargesEnabled || !provider.payoutsEnabled)
      throw conflict(
        "This API's provider cannot take payments yet: their payout account is not set up or not enabled, so a paid plan cannot be subscribed to now. Try again later, choose a free plan, or contact the provider.",
        { providerId },
      );
    return {
      providerId: provider.id,
      destinationAccountId: provider.stripeAccountId,
      feeBps: provider.feeBpsOverride ?? this.env.PLATFORM_FEE_BPS,
    };
  }

  /** Opens (or, for the same subscription, re-opens: idempotent per subscription id) the payment page. */
  async open(input: SubscriptionCheckoutInput): Promise<CheckoutSession> {
    const payee = await this.payee(input.providerId);
    const session = await this.payments.createSubscriptionCheckout({
      subscriptionId: input.subscriptionId,
      customerEmail: input.consumerEmail,
      productName: input.productName,
      currency: input.currency,
      unitAmountMinor: BigInt(input.priceAmountMinor),
      // basis points → percent with at most two decimals (Stripe's precision): 2000 → 20, 1250 → 12.5
      applicationFeePercent: payee.feeBps / 100,
      destinationAccountId: payee.destinationAccountId,
      successUrl: input.successUrl,
      cancelUrl: input.cancelUrl,
      overage:
        input.planId && input.overageUnitPriceMinor && Number(input.overageUnitPriceMinor) > 0
          ? {
              planId: input.planId,
              currency: input.currency,
              unitPriceMinor: canonicalDecimal(input.overageUnitPriceMinor),
              productName: input.productName,
            }
          : null,
    });
    this.logger.log(
      { subscriptionId: input.subscriptionId, session: session.id, feeBps: payee.feeBps },
      'checkout session opened',
    );
    return session;
  }
}
