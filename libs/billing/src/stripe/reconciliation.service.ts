import { Clock } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import { SubscriptionBilling } from '../dunning/subscription-billing.port';
import { PaymentsPort } from '../payments/payments.port';
import type { DriftEntity } from './stripe-billing.entities';
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
  /** Stripe subscriptions still charging for a subscription Portico ended: canceled at Stripe. */
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
 * recent) Stripe-collected invoice's status and total — and records each difference in
 * `billing_drifts` (resolved when a later run finds them equal). One difference is repaired, not
 * just reported: a Stripe subscription still running for a subscription Portico ended (a consumer
 * canceled in Portico) is canceled at Stripe, so nobody is charged for what they left.
 */
@Injectable()
export class ReconciliationService {
  private readonly logger = new Logger(ReconciliationService.name);

  constructor(
    private readonly repo: StripeBillingRepository,
    private readonly payments: PaymentsPort,
    private readonly subscriptions: SubscriptionBilling,
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
          const drifted: string[] = [];
          if (!(AGREEING[remote.status] ?? [remote.status]).includes(localStatus)) {
            if ((localStatus === 'canceled' || localStatus === 'expired') && !['canceled', 'incomplete_expired'].includes(remote.status)) {
              await this.payments.cancelSubscription(link.stripeSubscriptionId, link.subscriptionId);
              run.repaired += 1;
            }
            const drift = {
              objectType: 'subscription',
              objectId: link.subscriptionId,
              stripeId: link.stripeSubscriptionId,
              field: 'status',
              localValue: localStatus,
              stripeValue: remote.status,
            };
            await this.repo.recordDrift(drift, now);
            run.drifts.push(view(drift, now));
            drifted.push('status');
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
