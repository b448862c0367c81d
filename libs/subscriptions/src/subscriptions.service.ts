import { PaymentsPort } from '@app/billing';
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
import { SUBSCRIPTION_CHANGED_EVENT } from './subscription-changed.event';
import {
  approve,
  cancel,
  changePlan,
  initialState,
  isLive,
  needsApproval,
  paymentSucceeded,
  reject,
  settle,
  type PaymentsMode,
  type PlanTerms,
  type SubscriptionState,
  type SubscriptionStatus,
} from './subscription-state';
import type { SubscriptionEntity } from './subscription.entity';
import { SubscriptionRepository } from './subscription.repository';

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

/** Why a stripe-mode paid subscription stays incomplete: Checkout is the billing issue's part. */
export const CHECKOUT_PENDING_NOTE =
  'Payment is collected through Stripe Checkout, which arrives with the billing work: this subscription stays incomplete (no access) until a payment activates it.';

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
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  /** Plans with live subscribers are versioned instead of edited (catalog's PlanSubscribers port). */
  onModuleInit(): void {
    this.planSubscribers.use({
      countSubscribers: (planId: string, manager: EntityManager) =>
        this.subscriptions.countLiveOnPlan(planId, manager),
    });
  }

  // ---- consumer -------------------------------------------------------------------------------

  async subscribe(consumer: Consumer, planId: string): Promise<SubscribeResult> {
    const plan = await this.plans.findSubscribable(planId, consumer.email);
    if (!plan) throw planNotFound();
    const listing = await this.assertOpen(plan.apiId, consumer);
    const existing = await this.subscriptions.findLive(consumer.accountId, plan.apiId);
    if (existing) throw this.alreadySubscribed(existing);

    const mode = this.paymentsMode();
    const state = initialState(terms(plan), mode, this.clock.now());
    let created: SubscriptionEntity;
    try {
      created = await this.subscriptions.insert({
        ...state,
        consumerAccountId: consumer.accountId,
        apiId: plan.apiId,
        providerId: listing.providerId,
        planId: plan.id,
      });
    } catch (error) {
      if (isUniqueViolation(error, 'uq_subscriptions__live_consumer_api')) {
        const winner = await this.subscriptions.findLive(consumer.accountId, plan.apiId);
        if (winner) throw this.alreadySubscribed(winner);
      }
      throw error;
    }
    this.broadcast(created);
    return {
      subscription: toSubscriptionView(created),
      checkoutUrl: null,
      nextStep:
        created.status === 'pending_approval'
          ? "This plan needs the provider's approval: the subscription becomes usable once they approve it."
          : created.status === 'incomplete'
            ? CHECKOUT_PENDING_NOTE
            : null,
    };
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
    const next = cancel(stateOf(row), atPeriodEnd, this.clock.now());
    return toSubscriptionView(await this.write(row, next));
  }

  /**
   * Moves the subscription to another plan of the same API. The new plan's limits apply at once;
   * money (proration, a charge for an upgrade) is billing's part. Refused: plans needing approval
   * (subscribe anew instead) and, with stripe payments, a move from a free to a paid plan (it needs
   * Checkout, which arrives with billing).
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
    if (plan.paid && !(current?.paid ?? false) && this.paymentsMode() === 'stripe')
      throw conflict(`Moving from a free to a paid plan needs a payment method. ${CHECKOUT_PENDING_NOTE}`, {
        planId,
      });
    await this.assertOpen(plan.apiId, consumer);
    const next = changePlan(stateOf(row), terms(plan), this.clock.now());
    return toSubscriptionView(await this.write(row, next, plan.id));
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

  // ---- system (other libs) --------------------------------------------------------------------

  /**
   * The billing seam: a verified payment (Checkout completed, invoice paid) for this subscription
   * moves incomplete → active (starting its periods) or past_due → active.
   */
  async recordPaymentSucceeded(subscriptionId: string): Promise<SubscriptionView> {
    const row = await this.subscriptions.reload(subscriptionId);
    const plan = await this.requirePlan(row.planId);
    return toSubscriptionView(
      await this.write(row, paymentSucceeded(stateOf(row), terms(plan), this.clock.now())),
    );
  }

  /** The consumer's live subscription to an API, settled to now (the gateway's resolution). */
  async findLive(consumerAccountId: string, apiId: string): Promise<SubscriptionView | null> {
    const row = await this.subscriptions.findLive(consumerAccountId, apiId);
    if (!row) return null;
    const settled = await this.settled(row);
    return isLive(settled.status) ? toSubscriptionView(settled) : null;
  }

  // ---- internals ------------------------------------------------------------------------------

  private paymentsMode(): PaymentsMode {
    return this.payments.mode;
  }

  /** The API must be visible to the consumer and open: published, or deprecated before its sunset. */
  private async assertOpen(apiId: string, consumer: Consumer): Promise<{ providerId: string }> {
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
    return { providerId: listing.providerId };
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
    if (row.anchor === null || !isLive(row.status)) return row;
    const plan = await this.requirePlan(row.planId);
    const next = settle(stateOf(row), plan.quotaPeriod, this.clock.now());
    if (!next) return row;
    if (await this.subscriptions.updateState(row.id, row.status, next)) {
      if (next.status !== row.status) this.broadcast(row);
    }
    return this.subscriptions.reload(row.id);
  }

  /** Writes a transition if nobody moved the row meanwhile (else 409: retry). */
  private async write(
    row: SubscriptionEntity,
    next: SubscriptionState,
    planId?: string,
  ): Promise<SubscriptionEntity> {
    const written = await this.subscriptions.updateState(row.id, row.status, {
      ...next,
      ...(planId ? { planId } : {}),
    });
    if (!written)
      throw conflict('The subscription changed while this request ran: read it again and retry.', {
        subscriptionId: row.id,
      });
    this.broadcast(row);
    return this.subscriptions.reload(row.id);
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
