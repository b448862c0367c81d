import { Clock } from '@app/common';
import { NotificationsService } from '@app/notifications';
import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BillingEnv, durationMs, retryScheduleMs } from '../billing.env';
import type { InboxTransaction } from '../checkout/checkout-completions.port';
import type { InvoiceEntity } from '../invoices/invoice.entity';
import { InvoicesService } from '../invoices/invoices.service';
import { PaymentsPort } from '../payments/payments.port';
import { StripeBillingRepository } from '../stripe/stripe-billing.repository';
import { SubscriptionBilling } from './subscription-billing.port';

export interface DunningRun {
  due: number;
  recovered: number;
  retriedAndFailed: number;
  canceled: number;
  failed: number;
}

function formatMinor(invoice: InvoiceEntity): string {
  return `${invoice.totalAmountMinor} ${invoice.currency} (minor units)`;
}

/**
 * Failed payments (README "Failed payments and dunning"), the same on both adapters:
 *  - the first failure of an invoice starts dunning once (`billing_dunning`, keyed by the invoice):
 *    the subscription goes past_due with access until `now + DUNNING_GRACE_PERIOD` (the gateway
 *    refuses calls with subscription_inactive after it) and the consumer is notified;
 *  - `runDue` (job `billing.retry-payments`, every minute) retries each unpaid invoice at the
 *    offsets of DUNNING_RETRY_SCHEDULE through the PaymentsPort (idempotency key per retry);
 *  - a payment (a retry, or the provider's webhook) ends dunning: paid, past_due → active;
 *  - after the last failed retry: the provider's subscription is canceled, the invoice written off
 *    (uncollectible), the subscription canceled, and the consumer told.
 */
@Injectable()
export class DunningService {
  private readonly logger = new Logger(DunningService.name);

  constructor(
    private readonly repo: StripeBillingRepository,
    private readonly invoices: InvoicesService,
    private readonly payments: PaymentsPort,
    private readonly subscriptions: SubscriptionBilling,
    private readonly notifications: NotificationsService,
    private readonly env: BillingEnv,
    private readonly clock: Clock,
  ) {}

  /** An invoice's payment failed: starts dunning once. Inside the caller's transaction. */
  async paymentFailed(invoice: InvoiceEntity, tx: InboxTransaction): Promise<'started' | 'running'> {
    const now = this.clock.now();
    const schedule = retryScheduleMs(this.env);
    const graceEndsAt = new Date(now.getTime() + durationMs(this.env.DUNNING_GRACE_PERIOD));
    const started = await this.repo.startDunning(tx.manager, {
      invoiceId: invoice.id,
      subscriptionId: invoice.subscriptionId,
      consumerAccountId: invoice.consumerAccountId,
      startedAt: now,
      nextAttemptAt: new Date(now.getTime() + schedule[0]),
      graceEndsAt,
    });
    if (!started) return 'running';
    await this.subscriptions.registered.paymentFailed(invoice.subscriptionId, graceEndsAt, tx);
    await this.notifications.record(
      {
        accountId: invoice.consumerAccountId,
        type: 'billing.payment_failed',
        title: `Payment of ${invoice.number ?? 'an invoice'} failed`,
        body: `We could not collect ${formatMinor(invoice)} for ${invoice.parties.api.name} (${invoice.parties.plan.name}). Your subscription is past due: calls keep working until ${graceEndsAt.toISOString()}, then they are refused until it is paid. We retry ${schedule.length} time(s); after the last failed retry the subscription is canceled. Update your payment method to avoid it.`,
        data: { invoiceId: invoice.id, subscriptionId: invoice.subscriptionId, graceEndsAt: graceEndsAt.toISOString() },
      },
      tx.manager,
    );
    this.logger.warn({ invoiceId: invoice.id, subscriptionId: invoice.subscriptionId }, 'payment failed: dunning started');
    return 'started';
  }

  /**
   * The invoice is paid (a retry, the provider's webhook, or at once): open → paid with the
   * payment posting, the provider's share transferred when the charge paid it directly, dunning
   * ended and the subscription back to active. Idempotent.
   */
  async settlePaid(
    tx: InboxTransaction,
    invoiceId: string,
    paymentReference: string | null,
  ): Promise<InvoiceEntity> {
    const manager: EntityManager = tx.manager;
    let invoice = await this.invoices.getIn(manager, invoiceId);
    if (paymentReference && invoice.paymentReference !== paymentReference)
      await this.invoices.setPaymentReferenceIn(manager, invoiceId, paymentReference);
    if (invoice.status === 'open' || invoice.status === 'uncollectible') {
      if (invoice.status === 'uncollectible') {
        // a late payment of a written-off invoice: the write-off is undone by finalising again
        await this.invoices.reinstate(manager, invoice.id);
      }
      invoice = await this.invoices.markPaid(invoiceId, manager);
    }
    if (invoice.status === 'paid' && !this.payments.paysOutSeparately)
      await this.invoices.recordDestinationTransfer(manager, invoice);
    const dunning = await this.repo.lockDunning(manager, invoiceId);
    if (dunning && dunning.endedAt === null) {
      dunning.endedAt = this.clock.now();
      dunning.outcome = 'recovered';
      dunning.nextAttemptAt = null;
      await this.repo.saveDunning(manager, dunning);
      await this.subscriptions.registered.paymentRecovered(invoice.subscriptionId, tx);
      await this.notifications.record(
        {
          accountId: invoice.consumerAccountId,
          type: 'billing.payment_recovered',
          title: `${invoice.number ?? 'Your invoice'} is paid`,
          body: `Thanks: ${formatMinor(invoice)} for ${invoice.parties.api.name} was collected and your subscription is active again.`,
          data: { invoiceId: invoice.id, subscriptionId: invoice.subscriptionId },
        },
        manager,
      );
    }
    return invoice;
  }

  /** The invoice ended without payment elsewhere (voided, or the provider marked it uncollectible): dunning stops. */
  async stop(manager: EntityManager, invoiceId: string, outcome: 'void' | 'exhausted'): Promise<void> {
    const dunning = await this.repo.lockDunning(manager, invoiceId);
    if (!dunning || dunning.endedAt !== null) return;
    dunning.endedAt = this.clock.now();
    dunning.outcome = outcome;
    dunning.nextAttemptAt = null;
    await this.repo.saveDunning(manager, dunning);
  }

  /** Retries every unpaid invoice whose next attempt is due (job `billing.retry-payments`). */
  async runDue(now: Date = this.clock.now(), limit = 100): Promise<DunningRun> {
    const run: DunningRun = { due: 0, recovered: 0, retriedAndFailed: 0, canceled: 0, failed: 0 };
    for (const row of await this.repo.dunningDue(now, limit)) {
      run.due += 1;
      try {
        const outcome = await this.retry(row.invoiceId, now);
        if (outcome === 'recovered') run.recovered += 1;
        else if (outcome === 'failed') run.retriedAndFailed += 1;
        else if (outcome === 'canceled') run.canceled += 1;
      } catch (error) {
        run.failed += 1;
        this.logger.error({ err: error, invoiceId: row.invoiceId }, 'payment retry failed; the next run tries again');
      }
    }
    return run;
  }

  private async retry(invoiceId: string, now: Date): Promise<'recovered' | 'failed' | 'canceled' | 'skipped'> {
    const row = await this.repo.dunningOf(invoiceId);
    if (!row || row.endedAt !== null || row.nextAttemptAt === null || row.nextAttemptAt > now) return 'skipped';
    const invoice = (await this.invoices.withLines(invoiceId)).invoice;
    const schedule = retryScheduleMs(this.env);
    const retry = row.retries + 1;
    const result =
      invoice.status === 'paid'
        ? 'paid'
        : invoice.status !== 'open'
          ? 'ended'
          : await this.payments.retryInvoicePayment({
              invoiceId,
              providerInvoiceId: invoice.stripeInvoiceId,
              retry,
            });
    const last = retry >= schedule.length;
    if (result === 'failed' && last && this.payments.collectsSubscriptions) {
      // the provider's subscription ends first (idempotent): a crash before the commit below just repeats it
      const link = await this.repo.linkBySubscriptionId(invoice.subscriptionId);
      if (link) await this.payments.cancelSubscription(link.stripeSubscriptionId, invoice.subscriptionId);
    }
    return this.inTransaction(async (tx) => {
      const locked = await this.repo.lockDunning(tx.manager, invoiceId);
      if (!locked || locked.endedAt !== null || locked.retries >= retry) return 'skipped';
      if (result === 'paid') {
        await this.settlePaid(tx, invoiceId, null);
        return 'recovered';
      }
      if (result === 'ended') {
        locked.endedAt = now;
        locked.outcome = 'void';
        locked.nextAttemptAt = null;
        await this.repo.saveDunning(tx.manager, locked);
        return 'skipped';
      }
      locked.retries = retry;
      if (!last) {
        locked.nextAttemptAt = new Date(locked.startedAt.getTime() + schedule[retry]);
        await this.repo.saveDunning(tx.manager, locked);
        return 'failed';
      }
      locked.endedAt = now;
      locked.outcome = 'exhausted';
      locked.nextAttemptAt = null;
      await this.repo.saveDunning(tx.manager, locked);
      const written = await this.invoices.markUncollectible(tx.manager, invoiceId);
      await this.subscriptions.registered.endForNonPayment(invoice.subscriptionId, tx);
      await this.notifications.record(
        {
          accountId: invoice.consumerAccountId,
          type: 'billing.subscription_canceled',
          title: `Subscription to ${invoice.parties.api.name} canceled for non-payment`,
          body: `After ${retry} failed retries of ${written.number ?? 'your invoice'} (${formatMinor(invoice)}), your subscription was canceled and calls are refused. Subscribe again with a working payment method to continue.`,
          data: { invoiceId, subscriptionId: invoice.subscriptionId },
        },
        tx.manager,
      );
      this.logger.warn({ invoiceId, subscriptionId: invoice.subscriptionId }, 'dunning exhausted: subscription canceled');
      return 'canceled';
    });
  }

  private async inTransaction<T>(work: (tx: InboxTransaction) => Promise<T>): Promise<T> {
    const committed: (() => void)[] = [];
    const result = await this.repo.transaction((manager) =>
      work({ manager, afterCommit: (fn) => committed.push(fn) }),
    );
    for (const fn of committed) fn();
    return result;
  }
}
