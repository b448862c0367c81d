import {
  BillingEnv,
  DisputeShareReversals,
  DunningService,
  InvoicesService,
  ReconciliationService,
  RefundsService,
  UsageReporter,
  type DunningRun,
  type UsageReportRun,
  PayoutsService,
  PeriodCloses,
  RatingService,
  StripeInboxService,
  type ApplyOutcome,
  type PayoutSchedule,
  type RateOutcome,
  type ShareReversalRun,
} from '@app/billing';
import { Clock, JOB_QUEUES, JobHandler, JobQueue, type JobPayloads } from '@app/common';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';

export const RATE_PENDING_PERIODS_JOB = 'billing.rate-pending-periods' as const;
export const RUN_PAYOUTS_JOB = 'billing.run-payouts' as const;
/** Every-minute jobs of the Stripe and dunning work (each a no-op when there is nothing to do). */
export const MINUTE_JOBS = [
  'billing.report-usage',
  'billing.retry-payments',
  'billing.complete-refunds',
  'billing.reverse-dispute-shares',
] as const;
export const RECONCILE_JOB = 'billing.reconcile-stripe' as const;
/** How often closed periods left unrated (a lost enqueue) are re-enqueued. */
export const RATE_PENDING_PERIODS_EVERY_MS = 60_000;

/** PAYOUT_SCHEDULE → cron pattern (UTC, 02:00). */
export const PAYOUT_CRON: Readonly<Record<Exclude<PayoutSchedule, 'manual'>, string>> = {
  daily: '0 2 * * *',
  weekly: '0 2 * * 1',
  monthly: '0 2 1 * *',
};

/** Jobs of libs/billing. */
@Injectable()
export class BillingProcessor {
  private readonly logger = new Logger(BillingProcessor.name);

  constructor(
    private readonly inbox: StripeInboxService,
    private readonly rating: RatingService,
    private readonly closes: PeriodCloses,
    private readonly payouts: PayoutsService,
    private readonly clock: Clock,
    private readonly usage: UsageReporter,
    private readonly dunning: DunningService,
    private readonly refunds: RefundsService,
    private readonly reconciliation: ReconciliationService,
    private readonly disputeShares: DisputeShareReversals,
    private readonly invoices: InvoicesService,
  ) {}

  /** Closed usage windows → Stripe meter events (one per subscription and window; replay-safe). */
  @JobHandler('billing.report-usage')
  async reportUsage(_payload: JobPayloads['billing.report-usage']): Promise<UsageReportRun> {
    return this.usage.reportDue(this.clock.now());
  }

  /** Unpaid invoices retried on DUNNING_RETRY_SCHEDULE; canceled after the last. */
  @JobHandler('billing.retry-payments')
  async retryPayments(_payload: JobPayloads['billing.retry-payments']): Promise<DunningRun> {
    return this.dunning.runDue(this.clock.now());
  }

  /**
   * Refunds a crash left pending are executed again with the same idempotency key, and recorded
   * once; so are the credit notes of open invoices the payment provider was not told of yet.
   */
  @JobHandler('billing.complete-refunds')
  async completeRefunds(
    _payload: JobPayloads['billing.complete-refunds'],
  ): Promise<{ completed: number; creditsSettled: number }> {
    const now = this.clock.now();
    return { completed: await this.refunds.completePending(now), creditsSettled: await this.invoices.settleOpenCredits(now) };
  }

  /** Lost disputes' provider shares taken back from the transfers (retried with backoff when Stripe refuses). */
  @JobHandler('billing.reverse-dispute-shares')
  async reverseDisputeShares(_payload: JobPayloads['billing.reverse-dispute-shares']): Promise<ShareReversalRun> {
    return this.disputeShares.reversePending(this.clock.now());
  }

  @JobHandler(RECONCILE_JOB)
  async reconcile(_payload: JobPayloads[typeof RECONCILE_JOB]): Promise<{ drifts: number; repaired: number; failed: number }> {
    const run = await this.reconciliation.run();
    return { drifts: run.drifts.length, repaired: run.repaired, failed: run.failed };
  }

  /**
   * A Stripe event the api stored in the inbox. Safe to redeliver: an event already processed
   * returns early, and the effect commits together with `processed_at`.
   */
  @JobHandler('billing.apply-stripe-event')
  async applyStripeEvent(
    payload: JobPayloads['billing.apply-stripe-event'],
  ): Promise<{ outcome: ApplyOutcome }> {
    return { outcome: await this.inbox.apply(payload.eventId) };
  }

  /** Rates one closed period (job id `rate-<subscriptionId>-<periodStartMs>`). Safe to rerun: same invoice, never a second. */
  @JobHandler('billing.rate-period')
  async ratePeriod(payload: JobPayloads['billing.rate-period']): Promise<RateOutcome> {
    const periodStart = new Date(payload?.periodStart);
    if (typeof payload?.subscriptionId !== 'string' || Number.isNaN(periodStart.getTime()))
      throw new UnrecoverableError('billing.rate-period needs a subscriptionId and an ISO periodStart');
    const outcome = await this.rating.rate(payload.subscriptionId, periodStart);
    this.logger.log({ subscriptionId: payload.subscriptionId, periodStart: payload.periodStart, ...outcome }, 'period rated');
    return outcome;
  }

  @JobHandler(RATE_PENDING_PERIODS_JOB)
  async ratePendingPeriods(_payload: JobPayloads[typeof RATE_PENDING_PERIODS_JOB]): Promise<{ enqueued: number }> {
    return { enqueued: await this.closes.enqueueUnrated(this.clock.now()) };
  }

  @JobHandler(RUN_PAYOUTS_JOB)
  async runPayouts(_payload: JobPayloads[typeof RUN_PAYOUTS_JOB]): Promise<{ payouts: number }> {
    const made = await this.payouts.run();
    if (made.length > 0) this.logger.log({ payouts: made.length }, 'payouts made');
    return { payouts: made.length };
  }
}

/**
 * Registers billing's job schedulers at worker boot (keyed by id: one per interval however many
 * workers run): the minute sweeper of unrated periods, and payouts on PAYOUT_SCHEDULE (removed
 * when `manual`).
 */
@Injectable()
export class BillingScheduler implements OnApplicationBootstrap {
  constructor(
    private readonly jobs: JobQueue,
    private readonly env: BillingEnv,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const opts = { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { age: 7 * 24 * 3600 } };
    const queue = this.jobs.queue(JOB_QUEUES[RATE_PENDING_PERIODS_JOB]);
    await queue.upsertJobScheduler(
      RATE_PENDING_PERIODS_JOB,
      { every: RATE_PENDING_PERIODS_EVERY_MS },
      { name: RATE_PENDING_PERIODS_JOB, data: {}, opts },
    );
    for (const name of MINUTE_JOBS)
      await this.jobs.queue(JOB_QUEUES[name]).upsertJobScheduler(name, { every: 60_000 }, { name, data: {}, opts });
    await this.jobs
      .queue(JOB_QUEUES[RECONCILE_JOB])
      .upsertJobScheduler(RECONCILE_JOB, { pattern: '17 * * * *', tz: 'UTC' }, { name: RECONCILE_JOB, data: {}, opts });
    const payouts = this.jobs.queue(JOB_QUEUES[RUN_PAYOUTS_JOB]);
    if (this.env.PAYOUT_SCHEDULE === 'manual') {
      await payouts.removeJobScheduler(RUN_PAYOUTS_JOB);
      return;
    }
    await payouts.upsertJobScheduler(
      RUN_PAYOUTS_JOB,
      { pattern: PAYOUT_CRON[this.env.PAYOUT_SCHEDULE], tz: 'UTC' },
      { name: RUN_PAYOUTS_JOB, data: {}, opts },
    );
  }
}
