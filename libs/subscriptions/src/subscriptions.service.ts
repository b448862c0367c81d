import {
  CheckoutCompletions,
  PaymentsPort,
  PeriodCloses,
  StripeSubscriptionChanges,
  SubscriptionBilling,
  TestClocks,
  type ClosedPeriod,
  SubscriptionCheckoutService,
  type CheckoutCompletionOutcome,
  type CompletedCheckout,
  type InboxTransaction,
  type SubscriptionBillingOutcome,
} from '@app/billing';
import {
  PlanSubscribers,
  PlansService,
  ProvidersService,
  PublicCatalogService,
  type PlanView,
} from '@app/catalog';
import { AppError, Clock, conflict, EventBus, isUniqueViolation, validationFailed } from '@app/common';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { periodAt } from './periods';
import { SUBSCRIPTION_CHANGED_EVENT } from './subscription-changed.event';
import {
  approve,
  cancel,
  changePlan,
  endForNonPayment,
  expire,
  initialState,
  isLive,
  needsApproval,
  paymentFailed,
  paymentSucceeded,
  reject,
  settle,
  type PaymentsMode,
  type PlanTerms,
  type SubscriptionState,
  type SubscriptionStatus,
} from './subscription-state';
import type { SubscriptionEntity } from './subscription.entity';
import { SubscriptionRepository, type PaymentRefs } from './subscription.repository';

/** The signed-in consumer (the email decides which private plans it may see). */
export interface Consumer {
  accountId: string;
  email: string;
}

export interface SubscriptionView {
  id: string;
  consumerAccountId: string;
  apiId: string;
  planId: string;
  status: SubscriptionStatus;
  /** Null while no period runs (pending_approval, incomplete) and after the end (canceled, expired keep the last one). */
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  trialEndsAt: Date | null;
  cancelAtPeriodEnd: boolean;
  canceledAt: Date | null;
  /** past_due only: calls are answered until then, refused with subscription_inactive after (billing's dunning grace). */
  paymentGraceEndsAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What subscribing answers: the subscription, and where to pay when payment is due. */
export interface SubscribeResult {
  subscription: SubscriptionView;
  /** The payment page to send the consumer to (stripe); null when nothing is to be paid here. */
  checkoutUrl: string | null;
  /** A sentence on what happens next (approval, payment), or null when the subscription is usable. */
  nextStep: string | null;
}

/** What an incomplete subscription waits for (stripe payments): the consumer pays at `checkoutUrl`. */
export const CHECKOUT_NEXT_STEP =
  'Pay for the first period at checkoutUrl (Stripe Checkout): the subscription stays incomplete, without access, until Stripe confirms the payment, then it is active. Lost the page? POST /v1/subscriptions/{id}/checkout answers it again.';

/** A live subscription with the plan it is on (the gateway's resolution). */
export interface LiveSubscription {
  subscription: SubscriptionView;
  plan: PlanView;
}

/** What the scheduled period job did in one run (README "Time"). */
export interface AdvanceResult {
  /** Due subscriptions found. */
  due: number;
  /** Of those, written with a new period or state (each announced on the EventBus). */
  changed: number;
  /** Of those, failed (logged; the next run tries again). */
  failed: number;
}

function subscriptionNotFound(): AppError {
  return new AppError('not_found', 'Subscription not found: you have no subscription with this id.');
}

function planNotFound(): AppError {
  return new AppError(
    'not_found',
    'Plan not found: no plan you may subscribe to has this id (it may be archived, superseded, or private).',
  );
}

export function toSubscriptionView(sub: SubscriptionEntity): SubscriptionView {
  return {
    id: sub.id,
    consumerAccountId: sub.consumerAccountId,
    apiId: sub.apiId,
    planId: sub.planId,
    status: sub.status,
    currentPeriodStart: sub.currentPeriodStart,
    currentPeriodEnd: sub.currentPeriodEnd,
    trialEndsAt: sub.trialEndsAt,
    cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
    canceledAt: sub.canceledAt,
    paymentGraceEndsAt: sub.paymentGraceEndsAt,
    createdAt: sub.createdAt,
    updatedAt: sub.updatedAt,
  };
}

function terms(plan: PlanView): PlanTerms {
  return {
    paid: plan.paid,
    approvalRequired: plan.approvalRequired,
    visibility: plan.visibility,
    trialDays: plan.trialDays,
    quotaPeriod: plan.quotaPeriod,
  };
}

function stateOf(sub: SubscriptionEntity): SubscriptionState {
  return {
    status: sub.status,
    anchor: sub.anchor,
    currentPeriodStart: sub.currentPeriodStart,
    currentPeriodEnd: sub.currentPeriodEnd,
    trialEndsAt: sub.trialEndsAt,
    cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
    canceledAt: sub.canceledAt,
    paymentGraceEndsAt: sub.paymentGraceEndsAt,
  };
}

/**
 * Subscriptions of consumers to API plans: the state machine of README "States" applied to the
 * `subscriptions` table, with time read from the injectable Clock. Consumer methods answer 404 for
 * another account's subscription exactly as for an unknown id; provider methods are scoped to the
 * caller's provider profile the same way.
 */
@Injectable()
export class SubscriptionsService implements OnModuleInit {
  private readonly logger = new Logger(SubscriptionsService.name);

  constructor(
    private readonly subscriptions: SubscriptionRepository,
    private readonly plans: PlansService,
    private readonly catalog: PublicCatalogService,
    private readonly providers: ProvidersService,
    private readonly planSubscribers: PlanSubscribers,
    private readonly payments: PaymentsPort,
    private readonly checkout: SubscriptionCheckoutService,
    private readonly checkoutCompletions: CheckoutCompletions,
    private readonly subscriptionBilling: SubscriptionBilling,
    private readonly periodCloses: PeriodCloses,
    private readonly stripeChanges: StripeSubscriptionChanges,
    private readonly testClocks: TestClocks,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  /** Plans with live subscribers are versioned instead of edited (catalog's PlanSubscribers port). */
  onModuleInit(): void {
    this.planSubscribers.use({
      countSubscribers: (planId: string, manager: EntityManager) =>
        this.subscriptions.countLiveOnPlan(planId, manager),
    });
    // billing's inbox records completed Stripe Checkouts through this service (billing cannot import it)
    this.checkoutCompletions.use({
      checkoutCompleted: (checkout, tx) => this.recordCheckoutCompleted(checkout, tx),
    });
    // billing's dunning moves subscriptions through this service (past_due, recovered, ended)
    this.subscriptionBilling.use({
      paymentFailed: (id, graceEndsAt, tx) =>
        this.billingTransition(id, tx, (state) => paymentFailed(state, graceEndsAt), ['active', 'past_due']),
      paymentRecovered: (id, tx) =>
        this.billingTransition(id, tx, (state, plan) => paymentSucceeded(state, plan, this.clock.now()), ['past_due']),
      endForNonPayment: (id, tx) =>
        this.billingTransition(id, tx, (state) => endForNonPayment(state, this.clock.now()), [
          'trialing',
          'active',
          'past_due',
        ]),
      describe: async (id) => {
        const row = await this.subscriptions.findById(id);
        return row
          ? {
              id: row.id,
              status: row.status,
              consumerAccountId: row.consumerAccountId,
              providerId: row.providerId,
              apiId: row.apiId,
              planId: row.planId,
              cancelAtPeriodEnd: row.cancelAtPeriodEnd,
            }
          : null;
      },
    });
  }

  /**
   * A billing-driven move (dunning), inside billing's transaction with the row locked: applied
   * only from the states it applies to, so replays and late events change nothing.
   */
  private async billingTransition(
    id: string,
    tx: InboxTransaction,
    next: (state: SubscriptionState, plan: PlanTerms) => SubscriptionState,
    from: readonly SubscriptionStatus[],
  ): Promise<SubscriptionBillingOutcome> {
    const row = await this.subscriptions.findByIdForUpdate(id, tx.manager);
    if (!row) return 'unknown_subscription';
    if (!from.includes(row.status)) return 'unchanged';
    const plan = await this.requirePlan(row.planId);
    const state = next(stateOf(row), terms(plan));
    if (state.status === row.status && state.paymentGraceEndsAt === row.paymentGraceEndsAt) return 'unchanged';
    await this.write(row, state, undefined, { tx });
    return 'applied';
  }

  // ---- consumer -------------------------------------------------------------------------------

  /**
   * Subscribes the consumer to a plan. A paid plan with stripe payments starts `incomplete` and
   * answers the Stripe Checkout page to pay at (`checkoutUrl`); `checkoutReturnUrl` is where
   * Checkout sends the browser back (`<checkoutReturnUrl>/<id>?checkout=success|canceled`).
   * Refused with 409 before anything is stored when the provider cannot take payments.
   */
  async subscribe(consumer: Consumer, planId: string, checkoutReturnUrl?: string): Promise<SubscribeResult> {
    const plan = await this.plans.findSubscribable(planId, consumer.email);
    if (!plan) throw planNotFound();
    const listing = await this.assertOpen(plan.apiId, consumer);
    const needsCheckout =
      initialState(terms(plan), this.paymentsMode(), this.clock.now()).status === 'incomplete';
    if (needsCheckout) await this.checkout.payee(listing.providerId);
    const created = await this.open(consumer.accountId, plan, listing.providerId);
    let checkoutUrl: string | null = null;
    if (created.status === 'incomplete') {
      try {
        checkoutUrl = await this.openCheckout(created, plan, consumer, checkoutReturnUrl);
      } catch (error) {
        // no payment page, no subscription: free the (consumer, API) slot so a retry can subscribe
        await this.subscriptions.updateState(
          created.id,
          'incomplete',
          expire(stateOf(created), this.clock.now()),
        );
        this.broadcast(created);
        throw error;
      }
    }
    return {
      subscription: toSubscriptionView(created),
      checkoutUrl,
      nextStep:
        created.status === 'pending_approval'
          ? "This plan needs the provider's approval: the subscription becomes usable once they approve it."
          : created.status === 'incomplete'
            ? CHECKOUT_NEXT_STEP
            : null,
    };
  }

  /**
   * The Stripe Checkout page of an incomplete subscription (after the provider approved it, or when
   * the consumer lost the page): the same session again while Stripe keeps it (idempotent per
   * subscription). 409 for any other state.
   */
  async resumeCheckout(consumer: Consumer, id: string, checkoutReturnUrl: string): Promise<string> {
    const row = await this.subscriptions.findForConsumer(consumer.accountId, id);
    if (!row) throw subscriptionNotFound();
    if (row.status !== 'incomplete' || !this.checkout.required)
      throw conflict(
        `This subscription is ${row.status.replace('_', ' ')}: only incomplete subscriptions (a paid plan awaiting its first payment through Stripe) have a checkout page.`,
        { subscriptionStatus: row.status },
      );
    const plan = await this.requirePlan(row.planId);
    return this.openCheckout(row, plan, consumer, checkoutReturnUrl);
  }

  /**
   * Subscribe-on-first-test (the gateway, for a `mp_test_` call without a subscription): subscribes
   * the consumer to the API's first public free plan that needs no approval. Null when the API has
   * no such plan or is not open to everyone (private APIs need an explicit subscription); a
   * subscription created meanwhile by a concurrent call is answered as is.
   */
  async subscribeToFreePlan(consumerAccountId: string, apiId: string): Promise<SubscriptionView | null> {
    const plan = (await this.plans.listPublic(apiId)).find((p) => !p.paid && !p.approvalRequired);
    if (!plan) return null;
    let providerId: string;
    try {
      ({ providerId } = await this.assertOpen(apiId, null));
    } catch (error) {
      if (error instanceof AppError) return null;
      throw error;
    }
    try {
      return toSubscriptionView(await this.open(consumerAccountId, plan, providerId));
    } catch (error) {
      if (error instanceof AppError && error.code === 'conflict')
        return (await this.findLiveWithPlan(consumerAccountId, apiId))?.subscription ?? null;
      throw error;
    }
  }

  async list(consumerAccountId: string): Promise<SubscriptionView[]> {
    const rows = await this.subscriptions.listForConsumer(consumerAccountId);
    const settled = await Promise.all(rows.map((row) => this.settled(row)));
    return settled.map(toSubscriptionView);
  }

  async get(consumerAccountId: string, id: string): Promise<SubscriptionView> {
    const row = await this.subscriptions.findForConsumer(consumerAccountId, id);
    if (!row) throw subscriptionNotFound();
    return toSubscriptionView(await this.settled(row));
  }

  async cancel(consumerAccountId: string, id: string, atPeriodEnd: boolean): Promise<SubscriptionView> {
    const found = await this.subscriptions.findForConsumer(consumerAccountId, id);
    if (!found) throw subscriptionNotFound();
    const row = await this.settled(found);
    const now = this.clock.now();
    const next = cancel(stateOf(row), atPeriodEnd, now);
    // canceled now with a running period: billing rates the period up to now (README "Billing")
    const closes =
      next.status === 'canceled' && row.currentPeriodStart !== null && row.currentPeriodEnd !== null && row.anchor !== null
        ? [this.closedPeriod(row, row.currentPeriodStart, now, row.currentPeriodEnd, 'canceled')]
        : [];
    if (closes.length === 0) {
      const written = await this.write(row, next);
      // paid through Stripe: Stripe ends its subscription too, now or with its period (best effort; reconciliation repairs)
      if (written.status === 'canceled') await this.stripeChanges.cancelNow(row.id);
      else if (written.cancelAtPeriodEnd) await this.stripeChanges.cancelAtPeriodEnd(row.id);
      return toSubscriptionView(written);
    }
    const written = await this.inTransaction(async (tx) => {
      const result = await this.write(row, next, undefined, { tx });
      await this.periodCloses.record(tx.manager, closes, now);
      return result;
    });
    await this.periodCloses.enqueueRating(closes);
    // paid through Stripe: no renewal is charged for a subscription that ended now (best effort; reconciliation repairs)
    await this.stripeChanges.cancelNow(row.id);
    return toSubscriptionView(written);
  }

  /**
   * Moves the subscription to another plan of the same API. The new plan's limits apply at once;
   * money (proration, a charge for an upgrade) is billing's part. Refused: plans needing approval
   * (subscribe anew instead), a plan priced in another currency when either plan costs money (an
   * invoice has one currency, so the period could not be prorated) and, with stripe payments, a move
   * from a free to a paid plan (it needs Checkout, which a plan change does not start).
   */
  async changePlan(consumer: Consumer, id: string, planId: string): Promise<SubscriptionView> {
    const found = await this.subscriptions.findForConsumer(consumer.accountId, id);
    if (!found) throw subscriptionNotFound();
    const row = await this.settled(found);
    const plan = await this.plans.findSubscribable(planId, consumer.email);
    if (!plan) throw planNotFound();
    if (plan.apiId !== row.apiId)
      throw validationFailed(
        'planId',
        'is a plan of another API: a subscription changes plans within its API only (subscribe to the other API separately)',
      );
    if (plan.id === row.planId) throw conflict('The subscription is already on this plan.', { planId });
    if (needsApproval(terms(plan)))
      throw conflict(
        "This plan needs the provider's approval, so it cannot be switched to directly: cancel this subscription and subscribe to the plan to request approval.",
        { planId },
      );
    const current = await this.plans.findById(row.planId);
    if (current && current.currency !== plan.currency && (plan.paid || current.paid))
      throw conflict(
        `This plan is priced in ${plan.currency} and the subscription's plan in ${current.currency}; an invoice has one currency, so a plan change stays within it: cancel this subscription and subscribe to the plan instead.`,
        { planId, currency: plan.currency, subscriptionCurrency: current.currency },
      );
    if (plan.paid && !(current?.paid ?? false) && this.paymentsMode() === 'stripe')
      throw conflict(
        'Moving from a free to a paid plan needs a first payment through Stripe Checkout, which a plan change does not start: cancel this subscription and subscribe to the paid plan.',
        { planId },
      );
    const listing = await this.assertOpen(plan.apiId, consumer);
    const now = this.clock.now();
    const next = changePlan(stateOf(row), terms(plan), now);
    // billing prorates the period at this instant (README "Billing")
    return toSubscriptionView(
      await this.inTransaction(async (tx) => {
        const written = await this.write(row, next, plan.id, { tx });
        await this.periodCloses.recordPlanChange(tx.manager, {
          subscriptionId: row.id,
          fromPlanId: row.planId,
          toPlanId: plan.id,
          at: now,
        });
        // paid through Stripe: its subscription moves to the new prices in the same transaction; if
        // Stripe refuses, the 502 rolls the change back, so Portico and Stripe never disagree
        await this.stripeChanges.pushPlanChange(tx.manager, {
          subscriptionId: row.id,
          planId: plan.id,
          productName: `${listing.name} — ${plan.name}`,
          currency: plan.currency,
          priceAmountMinor: plan.priceAmountMinor,
          overageUnitPriceMinor: plan.quotaMode === 'soft' ? plan.overageUnitPriceMinor : null,
          at: now,
        });
        return written;
      }),
    );
  }

  // ---- provider -------------------------------------------------------------------------------

  async listForProvider(
    ownerAccountId: string,
    status: SubscriptionStatus | null,
  ): Promise<SubscriptionView[]> {
    const provider = await this.providers.getForOwner(ownerAccountId);
    const rows = await this.subscriptions.listForProvider(provider.id, status);
    return (await Promise.all(rows.map((row) => this.settled(row)))).map(toSubscriptionView);
  }

  async approve(ownerAccountId: string, id: string): Promise<SubscriptionView> {
    const row = await this.findForProvider(ownerAccountId, id);
    const plan = await this.requirePlan(row.planId);
    const next = approve(stateOf(row), terms(plan), this.paymentsMode(), this.clock.now());
    return toSubscriptionView(await this.write(row, next));
  }

  async reject(ownerAccountId: string, id: string): Promise<SubscriptionView> {
    const row = await this.findForProvider(ownerAccountId, id);
    return toSubscriptionView(await this.write(row, reject(stateOf(row), this.clock.now())));
  }

  /**
   * Analytics (provider scope by signature): new and churned subscriptions to the provider's APIs
   * (all of them, or `apiIds`) per UTC `unit` in [from, to); buckets without either are left out.
   */
  async subscriptionFlow(
    providerId: string,
    from: Date,
    to: Date,
    unit: 'hour' | 'day',
    apiIds: readonly string[] | null = null,
  ): Promise<{ start: Date; created: number; churned: number }[]> {
    const rows = await this.subscriptions.subscriptionFlow(providerId, from, to, unit, apiIds);
    return rows.map((row) => ({ start: new Date(row.bucket), created: Number(row.created), churned: Number(row.churned) }));
  }

  // ---- system (other libs) --------------------------------------------------------------------

  /**
   * The billing seam: a verified payment (Checkout completed, invoice paid) for this subscription
   * moves incomplete → active (starting its periods) or past_due → active.
   */
  async recordPaymentSucceeded(
    subscriptionId: string,
    refs: PaymentRefs = {},
    tx?: InboxTransaction,
  ): Promise<SubscriptionView> {
    const row = await this.subscriptions.reload(subscriptionId, tx?.manager);
    const plan = await this.requirePlan(row.planId);
    const next = paymentSucceeded(stateOf(row), terms(plan), this.clock.now());
    return toSubscriptionView(await this.write(row, next, undefined, { refs, tx }));
  }

  /**
   * billing's CheckoutCompletions port: a verified `checkout.session.completed` (paid) activates
   * the incomplete subscription and keeps Stripe's customer and subscription ids, inside the inbox
   * transaction (the row locked), announced after commit. Replays and late events change nothing.
   */
  async recordCheckoutCompleted(
    checkout: CompletedCheckout,
    tx: InboxTransaction,
  ): Promise<CheckoutCompletionOutcome> {
    const row = await this.subscriptions.findByIdForUpdate(checkout.subscriptionId, tx.manager);
    if (!row) return 'unknown_subscription';
    if (row.status !== 'incomplete') {
      // already active (a replay), or canceled/expired before the payment arrived: billing's
      // reconciliation refunds a payment for an ended subscription; state never moves backwards
      this.logger.log(
        { subscriptionId: row.id, status: row.status, session: checkout.sessionId },
        'completed checkout for a subscription past checkout: unchanged',
      );
      return 'unchanged';
    }
    await this.recordPaymentSucceeded(
      row.id,
      { stripeCustomerId: checkout.customerId, stripeSubscriptionId: checkout.providerSubscriptionId },
      tx,
    );
    return 'applied';
  }

  /**
   * The scheduled period job (worker, every minute): applies the passage of time (README "Time")
   * to every subscription it made due — a running period ended, or a trial ended — in batches of
   * `batchSize`, at most `maxBatches` per run (the next run continues). Each is settled exactly as
   * a read would settle it, so the lazy path and this job agree; re-running finds nothing due.
   */
  async advanceDuePeriods(options: { batchSize?: number; maxBatches?: number } = {}): Promise<AdvanceResult> {
    const batchSize = options.batchSize ?? 200;
    const maxBatches = options.maxBatches ?? 50;
    const now = this.clock.now();
    const result: AdvanceResult = { due: 0, changed: 0, failed: 0 };
    let afterId: string | null = null;
    for (let batch = 0; batch < maxBatches; batch += 1) {
      const rows = await this.subscriptions.findDue(now, batchSize, afterId);
      for (const row of rows) {
        result.due += 1;
        try {
          if (await this.settleAt(row, now)) result.changed += 1;
        } catch (error) {
          result.failed += 1;
          this.logger.error(
            { err: error, subscriptionId: row.id },
            'could not advance the subscription period',
          );
        }
      }
      if (rows.length < batchSize) break;
      afterId = rows[rows.length - 1].id;
    }
    return result;
  }

  /**
   * System read (the quota reconciliation): running subscriptions whose stored current period
   * holds `at`, a page of `limit` in id order after `afterId`, optionally only `ids`. Subscriptions
   * that time has made due are left out until the period job (or a read) settles them.
   */
  async listInPeriodAt(options: {
    at: Date;
    limit: number;
    afterId?: string | null;
    ids?: readonly string[];
  }): Promise<SubscriptionView[]> {
    const rows = await this.subscriptions.findInPeriodAt(options.at, options.limit, options.afterId ?? null, options.ids);
    return rows.map(toSubscriptionView);
  }

  /**
   * Test clocks (billing README "Test clocks"; admin, test mode only, else 404): ends this
   * subscription's current (monthly) period now, as if its remaining time had passed. Its
   * timeline moves into the past by that remaining time (the current period, the trial end and
   * billing's recorded plan changes) and its periods are re-anchored at this instant; then it is
   * settled, so the period closes with all its usage and is rated.
   */
  async advanceTestClock(id: string): Promise<SubscriptionView> {
    if (!this.testClocks.enabled)
      throw new AppError(
        'not_found',
        'Test clocks are off on this install (they need PAYMENTS=local or BILLING_TEST_CLOCKS=true, and never run in production).',
      );
    const row = await this.subscriptions.findById(id);
    if (!row) throw new AppError('not_found', 'Subscription not found: no subscription has this id.');
    const now = this.clock.now();
    if (
      row.anchor === null ||
      row.currentPeriodStart === null ||
      row.currentPeriodEnd === null ||
      !['trialing', 'active', 'past_due'].includes(row.status)
    )
      throw conflict(
        `This subscription is ${row.status.replace('_', ' ')}: only subscriptions with a running period have a clock to advance.`,
        { subscriptionStatus: row.status },
      );
    const plan = await this.requirePlan(row.planId);
    if (plan.quotaPeriod !== 'month')
      throw conflict('Test clocks move monthly periods only: daily periods follow the UTC calendar day.', {
        quotaPeriod: plan.quotaPeriod,
      });
    const byMs = Math.max(row.currentPeriodEnd.getTime() - now.getTime(), 0);
    const shift = (at: Date | null): Date | null => (at === null ? null : new Date(at.getTime() - byMs));
    await this.subscriptions.transaction(async (manager) => {
      const moved = await this.subscriptions.updateState(
        row.id,
        row.status,
        {
          ...stateOf(row),
          anchor: now,
          currentPeriodStart: shift(row.currentPeriodStart),
          currentPeriodEnd: now,
          trialEndsAt: shift(row.trialEndsAt),
        },
        manager,
      );
      if (!moved)
        throw conflict('The subscription changed while its clock was advanced: retry.', { subscriptionId: row.id });
      await this.periodCloses.shiftPlanChanges(manager, row.id, byMs);
    });
    await this.settleAt(await this.subscriptions.reload(row.id), now);
    this.broadcast(row);
    return toSubscriptionView(await this.subscriptions.reload(row.id));
  }

  /** System read (libs/search's popularity signal): subscribers with access per API; APIs without any are absent. */
  subscriberCounts(apiIds: readonly string[]): Promise<Map<string, number>> {
    return this.subscriptions.countWithAccessByApi(apiIds);
  }

  /**
   * The consumer's live subscription to an API, settled to now, with the plan it is on (the
   * gateway's resolution, reloaded about twice a minute per consumer and API): the plan is read
   * once, for settling and for the answer.
   */
  async findLiveWithPlan(consumerAccountId: string, apiId: string): Promise<LiveSubscription | null> {
    const row = await this.subscriptions.findLive(consumerAccountId, apiId);
    if (!row) return null;
    const plan = await this.requirePlan(row.planId);
    const settled = (await this.settleAt(row, this.clock.now(), plan))
      ? await this.subscriptions.reload(row.id)
      : row;
    if (!isLive(settled.status)) return null;
    return {
      subscription: toSubscriptionView(settled),
      plan: settled.planId === plan.id ? plan : await this.requirePlan(settled.planId),
    };
  }

  /**
   * Whether the consumer has (or had) a subscription to the API that gave access (libs/reviews'
   * eligibility rule): one that started — trialing or active — whatever it is now (active,
   * trialing, past_due, or canceled/expired after it started). Subscriptions that never started
   * (pending approval, rejected, incomplete, a checkout abandoned) do not count.
   */
  hasHadAccess(consumerAccountId: string, apiId: string): Promise<boolean> {
    return this.subscriptions.hasStarted(consumerAccountId, apiId);
  }

  // ---- internals ------------------------------------------------------------------------------

  /** Inserts the consumer's new subscription to a plan (409 when one is live already) and announces it. */
  private async open(consumerAccountId: string, plan: PlanView, providerId: string): Promise<SubscriptionEntity> {
    const existing = await this.subscriptions.findLive(consumerAccountId, plan.apiId);
    if (existing) throw this.alreadySubscribed(existing);
    const state = initialState(terms(plan), this.paymentsMode(), this.clock.now());
    let created: SubscriptionEntity;
    try {
      created = await this.subscriptions.insert({
        ...state,
        consumerAccountId,
        apiId: plan.apiId,
        providerId,
        planId: plan.id,
      });
    } catch (error) {
      if (isUniqueViolation(error, 'uq_subscriptions__live_consumer_api')) {
        const winner = await this.subscriptions.findLive(consumerAccountId, plan.apiId);
        if (winner) throw this.alreadySubscribed(winner);
      }
      throw error;
    }
    this.broadcast(created);
    return created;
  }

  private paymentsMode(): PaymentsMode {
    return this.payments.mode;
  }

  /** The API must be visible to the consumer and open: published, or deprecated before its sunset. */
  private async assertOpen(apiId: string, consumer: Consumer | null): Promise<{ providerId: string; name: string }> {
    const listing = await this.catalog.findVisibleById(apiId, consumer);
    const now = this.clock.now();
    const open =
      listing.status === 'published' ||
      (listing.status === 'deprecated' && (listing.sunsetAt === null || listing.sunsetAt > now));
    if (!open)
      throw conflict(
        `This API is ${listing.status.replace('_', ' ')} and takes no subscriptions: only published APIs (and deprecated ones before their sunset) do.`,
        { apiStatus: listing.status },
      );
    return { providerId: listing.providerId, name: listing.name };
  }

  private alreadySubscribed(existing: SubscriptionEntity): AppError {
    return conflict(
      `You already have a live subscription to this API (${existing.id}, ${existing.status.replace('_', ' ')}, plan ${existing.planId}): ` +
        `change its plan (POST /v1/subscriptions/${existing.id}/change-plan) or cancel it first.`,
      { subscriptionId: existing.id, planId: existing.planId, subscriptionStatus: existing.status },
    );
  }

  private async findForProvider(ownerAccountId: string, id: string): Promise<SubscriptionEntity> {
    const provider = await this.providers.getForOwner(ownerAccountId);
    const row = await this.subscriptions.findForProvider(provider.id, id);
    if (!row)
      throw new AppError('not_found', 'Subscription not found: no subscription to your APIs has this id.');
    return row;
  }

  private async requirePlan(planId: string): Promise<PlanView> {
    const plan = await this.plans.findById(planId);
    if (!plan) throw new Error(`subscription references plan ${planId}, which does not exist`);
    return plan;
  }

  /** Applies the passage of time (README "Time") and persists it; the row as it is now. */
  private async settled(row: SubscriptionEntity): Promise<SubscriptionEntity> {
    return (await this.settleAt(row, this.clock.now())) ? this.subscriptions.reload(row.id) : row;
  }

  /**
   * The one place time is applied (reads and the scheduled job): settles the row to `now` with a
   * write conditional on the status read (a racing transition wins; this one is then skipped), and
   * announces the change. True when this call wrote a change.
   */
  private async settleAt(row: SubscriptionEntity, now: Date, known?: PlanView): Promise<boolean> {
    if (row.anchor === null || !isLive(row.status)) return false;
    const plan = known ?? (await this.requirePlan(row.planId));
    const next = settle(stateOf(row), plan.quotaPeriod, now);
    if (!next) return false;
    // every period that ended is closed for billing in the same transaction as the roll (an outbox)
    const closes = this.periodsClosedBy(row, next, plan.quotaPeriod);
    const written = await this.subscriptions.transaction(async (manager) => {
      if (!(await this.subscriptions.updateState(row.id, row.status, next, manager))) return false;
      await this.periodCloses.record(manager, closes, now);
      return true;
    });
    if (!written) return false;
    await this.periodCloses.enqueueRating(closes);
    this.broadcast(row);
    return true;
  }

  /** The periods a settle ends: each full period from the stored one up to the new current one (or the cancellation). */
  private periodsClosedBy(
    row: SubscriptionEntity,
    next: SubscriptionState,
    kind: PlanView['quotaPeriod'],
  ): ClosedPeriod[] {
    if (row.anchor === null || row.currentPeriodStart === null || row.currentPeriodEnd === null) return [];
    const closes: ClosedPeriod[] = [];
    let period = { start: row.currentPeriodStart, end: row.currentPeriodEnd };
    const stop = next.status === 'canceled' ? row.currentPeriodEnd : next.currentPeriodStart;
    if (stop === null) return [];
    for (let i = 0; i < 1000 && period.start.getTime() < stop.getTime(); i += 1) {
      closes.push(this.closedPeriod(row, period.start, period.end, period.end, 'ended'));
      period = periodAt(kind, row.anchor, period.end);
    }
    return closes;
  }

  private closedPeriod(
    row: SubscriptionEntity,
    start: Date,
    end: Date,
    fullEnd: Date,
    reason: ClosedPeriod['reason'],
  ): ClosedPeriod {
    return {
      subscriptionId: row.id,
      consumerAccountId: row.consumerAccountId,
      providerId: row.providerId,
      apiId: row.apiId,
      planId: row.planId,
      periodStart: start,
      periodEnd: end,
      fullPeriodEnd: fullEnd,
      trialEndsAt: row.trialEndsAt,
      reason,
    };
  }

  /** Runs `work` in one transaction; the announcements it deferred run after the commit. */
  private async inTransaction<T>(work: (tx: InboxTransaction) => Promise<T>): Promise<T> {
    const committed: (() => void)[] = [];
    const result = await this.subscriptions.transaction((manager) =>
      work({ manager, afterCommit: (fn) => committed.push(fn) }),
    );
    for (const fn of committed) fn();
    return result;
  }

  /** Opens (or re-opens) the subscription's Stripe Checkout page; its URL. */
  private async openCheckout(
    row: SubscriptionEntity,
    plan: PlanView,
    consumer: Consumer,
    checkoutReturnUrl: string | undefined,
  ): Promise<string> {
    if (!checkoutReturnUrl)
      throw new Error('a paid subscription with stripe payments needs a checkout return URL');
    const base = checkoutReturnUrl.replace(/\/+$/, '');
    const listing = await this.catalog.findVisibleById(row.apiId, consumer);
    const session = await this.checkout.open({
      subscriptionId: row.id,
      providerId: row.providerId,
      consumerEmail: consumer.email,
      productName: `${listing.name} — ${plan.name}`,
      currency: plan.currency,
      priceAmountMinor: plan.priceAmountMinor,
      planId: plan.id,
      overageUnitPriceMinor: plan.quotaMode === 'soft' ? plan.overageUnitPriceMinor : null,
      successUrl: `${base}/${row.id}?checkout=success`,
      cancelUrl: `${base}/${row.id}?checkout=canceled`,
    });
    return session.url;
  }

  /**
   * Writes a transition if nobody moved the row meanwhile (else 409: retry). Inside `tx` when
   * given, then announced after it commits (other processes re-read on the announcement).
   */
  private async write(
    row: SubscriptionEntity,
    next: SubscriptionState,
    planId?: string,
    options: { refs?: PaymentRefs; tx?: InboxTransaction } = {},
  ): Promise<SubscriptionEntity> {
    const { refs = {}, tx } = options;
    const written = await this.subscriptions.updateState(
      row.id,
      row.status,
      { ...next, ...(planId ? { planId } : {}), ...refs },
      tx?.manager,
    );
    if (!written)
      throw conflict('The subscription changed while this request ran: read it again and retry.', {
        subscriptionId: row.id,
      });
    if (tx) tx.afterCommit(() => this.broadcast(row));
    else this.broadcast(row);
    return this.subscriptions.reload(row.id, tx?.manager);
  }

  private broadcast(row: SubscriptionEntity): void {
    this.events
      .publish(SUBSCRIPTION_CHANGED_EVENT, `${row.consumerAccountId}:${row.apiId}`)
      .catch((error: unknown) => {
        this.logger.warn(
          { err: error, subscriptionId: row.id },
          'could not broadcast subscription-changed; caches expire by TTL',
        );
      });
  }
}
