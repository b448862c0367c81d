import { Clock, JobQueue } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CheckoutCompletions, type InboxTransaction } from '../checkout/checkout-completions.port';
import { completedCheckoutOf } from '../checkout/checkout-event';
import { ProviderOnboardingService } from '../onboarding/provider-onboarding.service';
import { PaymentsPort } from '../payments/payments.port';
import { StripeSyncService } from '../stripe/stripe-sync.service';
import type { StripeEventEntity } from './stripe-event.entity';
import { StripeEventRepository } from './stripe-event.repository';

export interface ReceivedEvent {
  eventId: string;
  /** True when this event id was stored before (a redelivery): nothing new was stored. */
  duplicate: boolean;
}

/** What applying an inbox event came to (the worker's job result). */
export type ApplyOutcome =
  | 'applied'
  /** A type no handler exists for yet: marked processed without effect. */
  | 'ignored'
  /** About a connected account that is no provider's here: marked processed without effect. */
  | 'unknown_account'
  /** A completed checkout that activated its subscription is `applied`; one about a subscription already past checkout: */
  | 'unchanged'
  /** A completed checkout about a subscription that is not Portico's. */
  | 'unknown_subscription'
  /** A checkout completed with a payment still pending (delayed methods): `async_payment_succeeded` activates it. */
  | 'awaiting_payment'
  | 'already_processed'
  | 'missing'
  /** An invoice or charge about no Portico invoice. */
  | 'unknown_invoice';

function objectId(payload: Record<string, unknown>): string | null {
  const data = payload.data as { object?: { id?: unknown } } | undefined;
  return typeof data?.object?.id === 'string' ? data.object.id : null;
}

/**
 * Incoming payment webhooks, exactly once (STYLE: incoming webhooks):
 *  1. the api verifies the signature on the raw body, stores the event keyed by its id (a
 *     redelivery stores nothing), enqueues `billing.apply-stripe-event` with job id = event id and
 *     answers 2xx — if storing or enqueueing fails it answers 5xx and Stripe delivers again;
 *  2. the worker applies the stored event once: the row is locked, the effect and `processed_at`
 *     commit in one transaction, and a processed row is never applied again.
 */
@Injectable()
export class StripeInboxService {
  private readonly logger = new Logger(StripeInboxService.name);

  constructor(
    private readonly payments: PaymentsPort,
    private readonly events: StripeEventRepository,
    private readonly jobs: JobQueue,
    private readonly dataSource: DataSource,
    private readonly onboarding: ProviderOnboardingService,
    private readonly checkouts: CheckoutCompletions,
    private readonly clock: Clock,
    private readonly sync: StripeSyncService,
  ) {}

  /** api side: verify → store → enqueue. Throws `webhook_signature_invalid` before storing anything. */
  async receive(rawBody: Buffer | undefined, signatureHeader: string | undefined): Promise<ReceivedEvent> {
    const event = this.payments.verifyWebhook(rawBody, signatureHeader);
    const stored = await this.events.insertIfAbsent(event, this.clock.now());
    // enqueue on a redelivery too (the first enqueue may have failed after the insert); the job id
    // makes it a no-op while the first job exists, and the handler skips processed events anyway
    const row = stored ? null : await this.events.find(event.id);
    if (stored || row?.processedAt === null) {
      await this.jobs.enqueue('billing.apply-stripe-event', { eventId: event.id }, { jobId: event.id });
    }
    this.logger.log({ eventId: event.id, type: event.type, duplicate: !stored }, 'stripe event received');
    return { eventId: event.id, duplicate: !stored };
  }

  /** worker side: applies the stored event once. Failures are recorded on the row and rethrown (the job retries). */
  async apply(eventId: string): Promise<ApplyOutcome> {
    const row = await this.events.find(eventId);
    if (!row) {
      this.logger.warn({ eventId }, 'stripe event not in the inbox');
      return 'missing';
    }
    if (row.processedAt !== null) return 'already_processed';
    const committed: (() => void)[] = [];
    try {
      const outcome = await this.dataSource.transaction(async (manager) => {
        const locked = await this.events.lockForApply(manager, eventId);
        if (!locked || locked.processedAt !== null) return 'already_processed';
        const tx: InboxTransaction = { manager, afterCommit: (work) => committed.push(work) };
        const effect = await this.applyEffect(tx, locked);
        await this.events.markProcessed(manager, eventId, this.clock.now());
        this.logger.log({ eventId, type: locked.type, outcome: effect }, 'stripe event applied');
        return effect;
      });
      for (const work of committed) {
        try {
          work();
        } catch (error) {
          this.logger.warn({ err: error, eventId }, 'after-commit work of a stripe event failed');
        }
      }
      return outcome;
    } catch (error) {
      await this.events.recordFailure(eventId, error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  private async applyEffect(tx: InboxTransaction, event: StripeEventEntity): Promise<ApplyOutcome> {
    const manager: EntityManager = tx.manager;
    switch (event.type) {
      case 'account.updated': {
        const accountId = objectId(event.payload) ?? event.account;
        if (accountId === null) return 'ignored';
        // one applier per connected account at a time: each re-reads the account, so the last to
        // commit always writes the newest state
        await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`stripe-account:${accountId}`]);
        return this.onboarding.syncConnectedAccount(accountId, manager);
      }
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded': {
        // a completed session never changes again, so the event's object is the current one
        const checkout = completedCheckoutOf(event.payload);
        if (checkout === null) return 'ignored';
        if (checkout === 'awaiting_payment') return 'awaiting_payment';
        const recorded = await this.checkouts.record(checkout, tx);
        // billing's own link to Stripe's customer and subscription (usage reporting, mirroring)
        if (recorded !== 'unknown_subscription') await this.sync.linkCheckout(checkout, tx);
        return recorded;
      }
      // state from Stripe's current object (re-read), never from the event's copy or arrival order
      case 'invoice.paid':
      case 'invoice.payment_failed':
      case 'invoice.payment_succeeded':
      case 'invoice.marked_uncollectible':
      case 'invoice.voided': {
        const id = objectId(event.payload);
        return id === null ? 'ignored' : this.sync.syncInvoice(id, tx);
      }
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted': {
        const id = objectId(event.payload);
        return id === null ? 'ignored' : this.sync.syncSubscription(id, tx);
      }
      case 'charge.refunded': {
        const id = objectId(event.payload);
        return id === null ? 'ignored' : this.sync.syncChargeRefunds(id, tx);
      }
      case 'charge.dispute.created': {
        const object = (event.payload.data as { object?: Record<string, unknown> } | undefined)?.object;
        return object ? this.sync.recordDispute(object, tx) : 'ignored';
      }
      case 'charge.dispute.closed': {
        const object = (event.payload.data as { object?: Record<string, unknown> } | undefined)?.object;
        return object ? this.sync.closeDispute(object, tx) : 'ignored';
      }
      default:
        return 'ignored';
    }
  }
}
