import { Clock } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import { SubscriptionBilling } from '../dunning/subscription-billing.port';
import { InvoicesService } from '../invoices/invoices.service';
import { PaymentsPort } from '../payments/payments.port';
import { STRIPE_ENDED_STATUSES, type DriftEntity } from './stripe-billing.entities';
import { StripeBillingRepository } from './stripe-billing.repository';

export interface DriftView {
  objectType: string;
  objectId: string;
  stripeId: string;
  field: string;
  localValue: string;
  stripeValue: string;
  detectedAt: Date;
}

export interface ReconciliationRun {
  subscriptions: number;
  invoices: number;
  drifts: DriftView[];
  /**
   * Stripe subscriptions that would charge for what a consumer left: still running for a
   * subscription Portico ended (canceled at Stripe), or set to renew one canceled at period end
   * (set to end with its period).
   */
  repaired: number;
  failed: number;
}

/** Which Portico subscription statuses agree with a Stripe status. */
const AGREEING: Readonly<Record<string, readonly string[]>> = {
  active: ['active', 'trialing'],
  trialing: ['trialing', 'active'],
  past_due: ['past_due'],
  unpaid: ['past_due'],
  canceled: ['canceled', 'expired'],
  incomplete_expired: ['canceled', 'expired'],
  incomplete: ['incomplete'],
  paused: ['past_due'],
};

function view(drift: Pick<DriftEntity, 'objectType' | 'objectId' | 'stripeId' | 'field' | 'localValue' | 'stripeValue'>, at: Date): DriftView {
  return { ...drift, detectedAt: at };
}

/**
 * Reconciliation (job `billing.reconcile-stripe`, hourly; README "Reconciliation"): compares
 * Portico's state with Stripe's objects — every linked subscription's status, and every open (and
 * recent) Stripe-collected invoice's status, total and (both open) what is left to collect — and records each difference in
 * `billing_drifts` (resolved when a later run finds them equal). Two differences are repaired, not
 * just reported: a Stripe subscription still running for a subscription Portico ended (a consumer
 * canceled in Portico) is canceled at Stripe, and one that would renew a subscription the consumer
 * canceled at period end is set to end with its period, so nobody is charged for what they left.
 */
@Injectable()
export class ReconciliationService {
  private readonly logger = new Logger(ReconciliationService.name);

  constructor(
    private readonly repo: StripeBillingRepository,
    private readonly payments: PaymentsPort,
    private readonly subscriptions: SubscriptionBilling,
    private readonly invoices: InvoicesService,
    private readonly clock: Clock,
  ) {}

  async run(): Promise<ReconciliationRun> {
    const run: ReconciliationRun = { subscriptions: 0, invoices: 0, drifts: [], repaired: 0, failed: 0 };
    if (!this.payments.collectsSubscriptions) return run;
    const now = this.clock.now();
    let afterId: string | null = null;
    for (;;) {
      const links = await this.repo.allLinks(200, afterId);
      for (const link of links) {
        run.subscriptions += 1;
        try {
          const [remote, local] = await Promise.all([
            this.payments.retrieveSubscription(link.stripeSubscriptionId),
            this.subscriptions.registered.describe(link.subscriptionId),
          ]);
          const localStatus = local?.status ?? 'missing';
          const localEnded = localStatus === 'canceled' || localStatus === 'expired';
          const remoteRunning = !STRIPE_ENDED_STATUSES.has(remote.status);
          // Portico's period ended first (Stripe's is anchored at the Checkout payment, a little later): Stripe ends
          // the subscription with its own period, without a renewal, and collects what that period still owes
          const endingAtStripe = localEnded && remoteRunning && remote.cancelAtPeriodEnd;
          const drifted: string[] = [];
          const drift = async (field: string, localValue: string, stripeValue: string): Promise<void> => {
            const found = { objectType: 'subscription', objectId: link.subscriptionId, stripeId: link.stripeSubscriptionId, field, localValue, stripeValue };
            await this.repo.recordDrift(found, now);
            run.drifts.push(view(found, now));
            drifted.push(field);
          };
          if (!(AGREEING[remote.status] ?? [remote.status]).includes(localStatus) && !endingAtStripe) {
            if (localEnded && remoteRunning) {
              // a consumer's cancellation whose push failed (dunning cancels at Stripe itself): with the
              // final invoice that push would have asked for, so the usage reported before it is billed
              await this.payments.cancelSubscription(link.stripeSubscriptionId, link.subscriptionId, true);
              run.repaired += 1;
            }
            await drift('status', localStatus, remote.status);
          } else if (local?.cancelAtPeriodEnd && remoteRunning && !remote.cancelAtPeriodEnd) {
            // canceled at period end in Portico, and the push to Stripe failed: set it, so no renewal is charged
            await this.payments.cancelSubscriptionAtPeriodEnd(
              link.stripeSubscriptionId,
              link.subscriptionId,
              await this.repo.countPlanChanges(this.repo.dataSource.manager, link.subscriptionId),
            );
            run.repaired += 1;
            await drift('cancel_at_period_end', 'true', 'false');
          }
          await this.repo.resolveDrifts('subscription', link.subscriptionId, drifted, now);
        } catch (error) {
          run.failed += 1;
          this.logger.warn({ err: error, subscriptionId: link.subscriptionId }, 'could not reconcile the subscription');
        }
      }
      if (links.length < 200) break;
      afterId = links[links.length - 1].subscriptionId;
    }
    for (const invoice of await this.repo.invoicesToReconcile(500)) {
      run.invoices += 1;
      try {
        const remote = await this.payments.retrieveInvoice(invoice.stripe_invoice_id);
        const drifted: string[] = [];
        const compare = async (field: string, localValue: string, stripeValue: string): Promise<void> => {
          if (localValue === stripeValue) return;
          const drift = { objectType: 'invoice', objectId: invoice.id, stripeId: remote.id, field, localValue, stripeValue };
          await this.repo.recordDrift(drift, now);
          run.drifts.push(view(drift, now));
          drifted.push(field);
        };
        await compare('status', invoice.status, remote.status);
        await compare('total', invoice.total_amount_minor, remote.totalMinor.toString());
        // a credit note Stripe has not taken yet (the sweeper keeps sending it) shows as more left to collect
        if (invoice.status === 'open' && remote.status === 'open') {
          const { total: owed } = await this.invoices.owedBy(invoice.id);
          await compare('amount_remaining', owed.toString(), remote.amountRemainingMinor.toString());
        }
        await this.repo.resolveDrifts('invoice', invoice.id, drifted, now);
      } catch (error) {
        run.failed += 1;
        this.logger.warn({ err: error, invoiceId: invoice.id }, 'could not reconcile the invoice');
      }
    }
    if (run.drifts.length > 0)
      this.logger.warn({ drifts: run.drifts.length, repaired: run.repaired }, 'billing drift between Portico and Stripe');
    return run;
  }

  async openDrifts(): Promise<DriftView[]> {
    return (await this.repo.openDrifts()).map((d) => ({
      objectType: d.objectType,
      objectId: d.objectId,
      stripeId: d.stripeId,
      field: d.field,
      localValue: d.localValue,
      stripeValue: d.stripeValue,
      detectedAt: d.detectedAt,
    }));
  }
}
