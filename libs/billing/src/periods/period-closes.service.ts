import { JobQueue } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { PeriodCloseReason } from './period-close.entity';

/** A subscription period that closed (libs/subscriptions reports it; README "Time semantics"). */
export interface ClosedPeriod {
  subscriptionId: string;
  consumerAccountId: string;
  providerId: string;
  apiId: string;
  /** The plan held when the period closed. */
  planId: string;
  periodStart: Date;
  /** Billing stops here (the period end, or the cancellation instant). */
  periodEnd: Date;
  /** The period's natural end. */
  fullPeriodEnd: Date;
  trialEndsAt: Date | null;
  reason: PeriodCloseReason;
}

export interface PlanChangeRecord {
  subscriptionId: string;
  fromPlanId: string;
  toPlanId: string;
  at: Date;
}

/** The job that rates one closed period, keyed by the business key (BullMQ refuses ':' in custom ids). */
export function ratePeriodJobId(subscriptionId: string, periodStart: Date): string {
  return `rate-${subscriptionId}-${periodStart.getTime()}`;
}

/**
 * The port libs/subscriptions reports to (it depends on billing; billing never imports it): closed
 * periods are written to the `billing_period_closes` outbox inside the subscription's own
 * transaction, then `billing.rate-period` is enqueued after commit; plan changes are kept for
 * proration.
 */
@Injectable()
export class PeriodCloses {
  private readonly logger = new Logger(PeriodCloses.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
  ) {}

  /** Writes the closes in the caller's transaction (a close already recorded is left as is). */
  async record(manager: EntityManager, closes: readonly ClosedPeriod[], closedAt: Date): Promise<void> {
    for (const close of closes) {
      await manager.query(
        `INSERT INTO billing_period_closes (subscription_id, consumer_account_id, provider_id, api_id, plan_id,
           period_start, period_end, full_period_end, trial_ends_at, reason, closed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (subscription_id, period_start) DO NOTHING`,
        [
          close.subscriptionId,
          close.consumerAccountId,
          close.providerId,
          close.apiId,
          close.planId,
          close.periodStart,
          close.periodEnd,
          close.fullPeriodEnd,
          close.trialEndsAt,
          close.reason,
          closedAt,
        ],
      );
    }
  }

  /** After commit: one rating job per close (job id from the business key). A failure is logged: the sweeper re-enqueues. */
  async enqueueRating(closes: readonly Pick<ClosedPeriod, 'subscriptionId' | 'periodStart'>[]): Promise<void> {
    for (const close of closes) {
      try {
        await this.jobs.enqueue(
          'billing.rate-period',
          { subscriptionId: close.subscriptionId, periodStart: close.periodStart.toISOString() },
          { jobId: ratePeriodJobId(close.subscriptionId, close.periodStart) },
        );
      } catch (error) {
        this.logger.warn(
          { err: error, subscriptionId: close.subscriptionId },
          'could not enqueue rating; the sweeper will',
        );
      }
    }
  }

  /** Re-enqueues closes still unrated `olderThanMs` after closing (the minute sweeper). */
  async enqueueUnrated(now: Date, olderThanMs = 60_000, limit = 500): Promise<number> {
    const rows = await this.dataSource.query<{ subscription_id: string; period_start: Date }[]>(
      `SELECT subscription_id, period_start FROM billing_period_closes
       WHERE rated_at IS NULL AND closed_at <= $1 ORDER BY closed_at LIMIT $2`,
      [new Date(now.getTime() - olderThanMs), limit],
    );
    await this.enqueueRating(rows.map((r) => ({ subscriptionId: r.subscription_id, periodStart: r.period_start })));
    return rows.length;
  }

  /** A plan change (proration splits the period here), in the caller's transaction. */
  async recordPlanChange(manager: EntityManager, change: PlanChangeRecord): Promise<void> {
    await manager.query(
      `INSERT INTO billing_plan_changes (subscription_id, from_plan_id, to_plan_id, changed_at) VALUES ($1, $2, $3, $4)`,
      [change.subscriptionId, change.fromPlanId, change.toPlanId, change.at],
    );
  }

  /** Test clocks: the subscription's recorded plan changes move with its timeline. */
  async shiftPlanChanges(manager: EntityManager, subscriptionId: string, byMs: number): Promise<void> {
    await manager.query(
      `UPDATE billing_plan_changes SET changed_at = changed_at - make_interval(secs => $2::double precision / 1000)
       WHERE subscription_id = $1`,
      [subscriptionId, byMs],
    );
  }
}
