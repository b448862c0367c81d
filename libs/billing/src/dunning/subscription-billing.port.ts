import { Injectable } from '@nestjs/common';
import type { InboxTransaction } from '../checkout/checkout-completions.port';

/** What a billing-driven subscription change came to. */
export type SubscriptionBillingOutcome = 'applied' | 'unchanged' | 'unknown_subscription';

/** Implemented by libs/subscriptions (which depends on billing, so billing cannot import it). */
export interface SubscriptionBillingHandler {
  /** A payment failed: active → past_due, access until `graceEndsAt` (a past_due one keeps its grace). */
  paymentFailed(subscriptionId: string, graceEndsAt: Date, tx: InboxTransaction): Promise<SubscriptionBillingOutcome>;
  /** The unpaid invoice was paid: past_due → active. */
  paymentRecovered(subscriptionId: string, tx: InboxTransaction): Promise<SubscriptionBillingOutcome>;
  /** Dunning gave up, or the payment provider ended the subscription: → canceled now (no period is billed for it). */
  endForNonPayment(subscriptionId: string, tx: InboxTransaction): Promise<SubscriptionBillingOutcome>;
  /** Who and what the subscription is about, and its status now (mirroring, reconciliation), or null. */
  describe(subscriptionId: string): Promise<BilledSubscription | null>;
}

export interface BilledSubscription {
  id: string;
  status: string;
  consumerAccountId: string;
  providerId: string;
  apiId: string;
  planId: string;
  /** The consumer canceled at period end: the subscription ends when its current period does. */
  cancelAtPeriodEnd: boolean;
}

/**
 * Port: who moves subscriptions when payments fail, recover or are given up (libs/subscriptions
 * registers itself at module init, like CheckoutCompletions). Without a handler the call fails, so
 * an inbox event is retried rather than marked processed with no effect.
 */
@Injectable()
export class SubscriptionBilling {
  private handler: SubscriptionBillingHandler | null = null;

  use(handler: SubscriptionBillingHandler): void {
    this.handler = handler;
  }

  get registered(): SubscriptionBillingHandler {
    if (!this.handler)
      throw new Error(
        'no handler moves subscriptions for billing: import SubscriptionsModule into the app that runs billing jobs',
      );
    return this.handler;
  }
}
