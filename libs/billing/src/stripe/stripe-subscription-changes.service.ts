import { Clock } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { canonicalDecimal } from '../money/money';
import { PaymentsPort } from '../payments/payments.port';
import { STRIPE_ENDED_STATUSES } from './stripe-billing.entities';
import { StripeBillingRepository } from './stripe-billing.repository';
import { UsageReporter } from './usage-reporter.service';

/** A plan change libs/subscriptions is writing, with the new plan's terms (as Checkout gets them). */
export interface StripePlanChangeInput {
  subscriptionId: string;
  planId: string;
  productName: string;
  currency: string;
  /** The new plan's monthly price in minor units (decimal string, as PlanView carries it; "0" for free plans). */
  priceAmountMinor: string;
  /** The new plan's overage unit price when it bills overage (soft quota), else null. */
  overageUnitPriceMinor: string | null;
  at: Date;
}

/**
 * PAYMENTS=stripe: a consumer's plan change or cancellation reaches the Stripe subscription that
 * collects it (README "Plan changes on Stripe"). A subscription without a Stripe subscription
 * (local payments, free plans, not yet paid) is left alone.
 */
@Injectable()
export class StripeSubscriptionChanges {
  private readonly logger = new Logger(StripeSubscriptionChanges.name);

  constructor(
    private readonly repo: StripeBillingRepository,
    private readonly payments: PaymentsPort,
    private readonly usage: UsageReporter,
    private readonly clock: Clock,
  ) {}

  /**
   * Called inside libs/subscriptions' plan-change transaction, after the conditional write and
   * after `PeriodCloses.recordPlanChange`: the Stripe subscription's items move to the new plan's
   * prices, prorated (`create_prorations`) at the change instant, with the idempotency key
   * `portico:plan-change:<subscriptionId>:<n>:<planId>` (n = this change's number among the
   * subscription's recorded changes: a retry of the same change is the same n). A Stripe failure
   * throws `payments_provider_error` (502), so the caller's transaction rolls back and the plan stays
   * unchanged in Portico too.
   */
  async pushPlanChange(
    manager: EntityManager,
    change: StripePlanChangeInput,
  ): Promise<'updated' | 'unchanged' | 'not_collected'> {
    if (!this.payments.collectsSubscriptions) return 'not_collected';
    const link = await this.repo.linkBySubscriptionId(change.subscriptionId, manager);
    if (!link || STRIPE_ENDED_STATUSES.has(link.stripeStatus)) return 'not_collected';
    const changeNumber = await this.repo.countPlanChanges(manager, change.subscriptionId);
    const overage =
      change.overageUnitPriceMinor !== null && Number(change.overageUnitPriceMinor) > 0
        ? {
            planId: change.planId,
            currency: change.currency,
            unitPriceMinor: canonicalDecimal(change.overageUnitPriceMinor),
            productName: change.productName,
          }
        : null;
    const outcome = await this.payments.changeSubscriptionPlan({
      subscriptionId: change.subscriptionId,
      providerSubscriptionId: link.stripeSubscriptionId,
      changeNumber: Math.max(changeNumber, 1),
      planId: change.planId,
      productName: change.productName,
      currency: change.currency,
      unitAmountMinor: BigInt(change.priceAmountMinor),
      overage,
      prorationDate: change.at,
    });
    this.logger.log(
      {
        subscriptionId: change.subscriptionId,
        stripeSubscriptionId: link.stripeSubscriptionId,
        planId: change.planId,
        outcome,
      },
      'plan change pushed to Stripe',
    );
    return outcome;
  }

  /**
   * After a consumer's immediate cancellation committed: the overage up to now is reported
   * (`UsageReporter.reportThrough`), then the Stripe subscription is canceled at once with a final
   * invoice for it (no renewal is charged; the base paid in advance is not prorated). Best effort: a
   * failure is logged and the hourly reconciliation (which cancels a Stripe subscription Portico
   * ended, with the same final invoice) repairs it.
   */
  cancelNow(subscriptionId: string): Promise<'pushed' | 'not_collected' | 'failed'> {
    return this.pushBestEffort(
      subscriptionId,
      async (stripeSubscriptionId) => {
        // the cancellation goes ahead whatever the report does: no renewal must be charged
        const usage = await this.usage.reportThrough(subscriptionId, this.clock.now()).catch((error: unknown) => {
          this.logger.warn({ err: error, subscriptionId }, 'usage before the cancellation could not be reported');
          return { reported: 0, failed: 1 };
        });
        if (usage.failed > 0)
          this.logger.warn({ subscriptionId, failed: usage.failed }, 'usage before the cancellation not all reported: the final invoice may miss some');
        await this.payments.cancelSubscription(stripeSubscriptionId, subscriptionId, true);
      },
      'the Stripe subscription could not be canceled now; reconciliation cancels it on its next run',
    );
  }

  /**
   * After a consumer's cancellation at period end committed: the Stripe subscription is set to end
   * with its period (`cancel_at_period_end`), so Stripe charges no renewal however its period end
   * falls against Portico's. Best effort: a failure is logged and the hourly reconciliation sets it.
   */
  cancelAtPeriodEnd(subscriptionId: string): Promise<'pushed' | 'not_collected' | 'failed'> {
    return this.pushBestEffort(
      subscriptionId,
      async (stripeSubscriptionId) =>
        this.payments.cancelSubscriptionAtPeriodEnd(
          stripeSubscriptionId,
          subscriptionId,
          await this.repo.countPlanChanges(this.repo.dataSource.manager, subscriptionId),
        ),
      'the Stripe subscription could not be set to cancel at period end; reconciliation sets it on its next run',
    );
  }

  /** `push` to the subscription's running Stripe subscription, if any; a failure is logged as `failed`. */
  private async pushBestEffort(
    subscriptionId: string,
    push: (stripeSubscriptionId: string) => Promise<void>,
    failed: string,
  ): Promise<'pushed' | 'not_collected' | 'failed'> {
    if (!this.payments.collectsSubscriptions) return 'not_collected';
    const link = await this.repo.linkBySubscriptionId(subscriptionId);
    if (!link || STRIPE_ENDED_STATUSES.has(link.stripeStatus)) return 'not_collected';
    try {
      await push(link.stripeSubscriptionId);
      return 'pushed';
    } catch (error) {
      this.logger.error(
        { err: error, subscriptionId, stripeSubscriptionId: link.stripeSubscriptionId },
        failed,
      );
      return 'failed';
    }
  }
}
