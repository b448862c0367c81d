import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** A hosted checkout of a subscription's first period that the payment provider reports as paid. */
export interface CompletedCheckout {
  /** The checkout session (`cs_…`). */
  sessionId: string;
  /** Portico's subscription id (the session's client reference). */
  subscriptionId: string;
  /** The payment provider's customer and subscription created by the checkout (`cus_…`, `sub_…`). */
  customerId: string | null;
  providerSubscriptionId: string | null;
}

/** What recording a completed checkout came to. */
export type CheckoutCompletionOutcome =
  /** The subscription was incomplete and is active now. */
  | 'applied'
  /** The subscription was already past checkout (or ended meanwhile): nothing changed. */
  | 'unchanged'
  /** No Portico subscription has this id. */
  | 'unknown_subscription';

/** The inbox transaction the completion is recorded in. */
export interface InboxTransaction {
  manager: EntityManager;
  /** Runs `work` once the transaction committed (announcements other processes re-read on). */
  afterCommit(work: () => void): void;
}

/** Implemented by libs/subscriptions (which depends on billing, so billing cannot import it). */
export interface CheckoutCompletionHandler {
  checkoutCompleted(checkout: CompletedCheckout, tx: InboxTransaction): Promise<CheckoutCompletionOutcome>;
}

/**
 * Port: who records a completed subscription checkout. libs/subscriptions registers itself at
 * module init (`completions.use(this)`), as it does for catalog's PlanSubscribers. An app that
 * applies inbox events without registering a handler fails the event (it is retried), rather than
 * marking a payment processed with no effect.
 */
@Injectable()
export class CheckoutCompletions {
  private handler: CheckoutCompletionHandler | null = null;

  use(handler: CheckoutCompletionHandler): void {
    this.handler = handler;
  }

  record(checkout: CompletedCheckout, tx: InboxTransaction): Promise<CheckoutCompletionOutcome> {
    if (!this.handler)
      throw new Error(
        'no handler records completed checkouts: import SubscriptionsModule into the app that applies Stripe events',
      );
    return this.handler.checkoutCompleted(checkout, tx);
  }
}
