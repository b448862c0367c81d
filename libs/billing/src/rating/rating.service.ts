import { PlansService, type PlanView } from '@app/catalog';
import { Clock } from '@app/common';
import { MeteringService } from '@app/metering';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, IsNull } from 'typeorm';
import { FeePolicy } from '../fees/fee-policy.service';
import { InvoicePartiesService } from '../invoices/invoice-parties.service';
import { InvoiceRepository } from '../invoices/invoice.repository';
import { InvoicesService } from '../invoices/invoices.service';
import { splitFee } from '../money/money';
import { PaymentsPort } from '../payments/payments.port';
import { StripeBillingRepository } from '../stripe/stripe-billing.repository';
import { PeriodCloseEntity } from '../periods/period-close.entity';
import { PlanChangeEntity } from '../periods/plan-change.entity';
import { ratePeriod, type PlanChangeAt, type RatedPlan } from './rating';

export type RateOutcome =
  /** The period's invoice exists and is finalised (and collected when the adapter collects at once). */
  | { outcome: 'invoiced'; invoiceId: string; status: string }
  /** The period rated to 0: no invoice. */
  | { outcome: 'free' }
  /** No such closed period (never closed, or a stale job). */
  | { outcome: 'missing' }
  /** PAYMENTS=stripe: the period is charged by its Stripe subscription (base in advance, overage from reported usage). */
  | { outcome: 'stripe' };

function ratedPlan(plan: PlanView): RatedPlan {
  return {
    id: plan.id,
    name: plan.name,
    priceAmountMinor: BigInt(plan.priceAmountMinor),
    currency: plan.currency,
    quotaPeriod: plan.quotaPeriod,
    quotaMode: plan.quotaMode,
    overageUnitPriceMinor: plan.overageUnitPriceMinor,
  };
}

/**
 * The `billing.rate-period` job's rule: rates one closed period from the metering rollups and the
 * recorded plan changes, drafts its invoice (unique per subscription and period start), finalises
 * and collects it. Idempotent by its key: a rerun finds the invoice (or the `free` outcome) and
 * only finishes what is missing.
 */
@Injectable()
export class RatingService {
  private readonly logger = new Logger(RatingService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly invoiceRows: InvoiceRepository,
    private readonly invoices: InvoicesService,
    private readonly plans: PlansService,
    private readonly metering: MeteringService,
    private readonly fees: FeePolicy,
    private readonly clock: Clock,
    private readonly payments: PaymentsPort,
    private readonly stripeRepo: StripeBillingRepository,
    private readonly parties: InvoicePartiesService,
  ) {}

  async rate(subscriptionId: string, periodStart: Date): Promise<RateOutcome> {
    const closes = this.dataSource.getRepository(PeriodCloseEntity);
    const close = await closes.findOneBy({ subscriptionId, periodStart });
    if (!close) return { outcome: 'missing' };
    if (close.outcome === 'free') return { outcome: 'free' };
    if (close.outcome === 'stripe') return { outcome: 'stripe' };
    // a subscription Stripe collects is invoiced by Stripe and mirrored from its webhooks: no second invoice here
    if (this.payments.collectsSubscriptions && (await this.stripeRepo.linkBySubscriptionId(subscriptionId))) {
      await closes.update({ id: close.id, ratedAt: IsNull() }, { ratedAt: this.clock.now(), outcome: 'stripe' });
      return { outcome: 'stripe' };
    }

    let invoice = await this.invoiceRows.findForPeriod(subscriptionId, periodStart);
    if (!invoice) {
      const changes = await this.dataSource.getRepository(PlanChangeEntity).find({
        where: { subscriptionId },
        order: { changedAt: 'ASC' },
      });
      const inPeriod: PlanChangeAt[] = changes
        .filter((c) => c.changedAt >= close.periodStart && c.changedAt < close.periodEnd)
        .map((c) => ({ fromPlanId: c.fromPlanId, toPlanId: c.toPlanId, at: c.changedAt }));
      const planIds = new Set([close.planId, ...inPeriod.flatMap((c) => [c.fromPlanId, c.toPlanId])]);
      const plans = new Map<string, RatedPlan>();
      for (const id of planIds) {
        const plan = await this.plans.findById(id);
        if (!plan) throw new Error(`plan ${id} of subscription ${subscriptionId} does not exist`);
        plans.set(id, ratedPlan(plan));
      }
      const usage = await this.metering.usageForPeriod(subscriptionId, close.periodStart, close.periodEnd);
      const rated = ratePeriod(
        {
          start: close.periodStart,
          end: close.periodEnd,
          fullEnd: close.fullPeriodEnd,
          planId: close.planId,
          trialEndsAt: close.trialEndsAt,
        },
        plans,
        inPeriod,
        BigInt(usage.overageUnits),
      );
      if (rated.skipped.length > 0)
        this.logger.warn(
          { subscriptionId, skipped: rated.skipped },
          'plan segments in another currency were not prorated',
        );
      if (rated.totalMinor <= 0n) {
        await closes.update(
          { id: close.id, ratedAt: IsNull() },
          { ratedAt: this.clock.now(), outcome: 'free' },
        );
        return { outcome: 'free' };
      }
      const fee = await this.fees.feeFor(close.providerId);
      const split = splitFee(rated.totalMinor, fee.feeBps);
      const parties = await this.parties.of(close);
      invoice = await this.invoiceRows.transaction(async (manager) => {
        const drafted = await this.invoiceRows.insertDraftForPeriod(
          manager,
          {
            kind: 'invoice',
            subscriptionId,
            consumerAccountId: close.consumerAccountId,
            providerId: close.providerId,
            apiId: close.apiId,
            planId: close.planId,
            periodStart: close.periodStart,
            periodEnd: close.periodEnd,
            currency: rated.currency,
            totalAmountMinor: rated.totalMinor.toString(),
            feeBps: fee.feeBps,
            feeAmountMinor: split.fee.toString(),
            providerShareAmountMinor: split.providerShare.toString(),
            creditsInvoiceId: null,
            memo: null,
            parties,
          },
          rated.lines,
        );
        await manager.getRepository(PeriodCloseEntity).update({ id: close.id }, { invoiceId: drafted.id });
        return drafted;
      });
    }
    const finalized = await this.invoices.finalize(invoice.id);
    await closes.update({ id: close.id }, { ratedAt: close.ratedAt ?? this.clock.now(), outcome: 'invoiced', invoiceId: invoice.id });
    const collected = await this.invoices.collect(finalized.id);
    return { outcome: 'invoiced', invoiceId: collected.id, status: collected.status };
  }

}
