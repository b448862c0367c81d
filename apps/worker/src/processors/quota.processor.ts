import { JOB_QUEUES, JobHandler, JobQueue, type JobPayloads } from '@app/common';
import { QuotaReconciler, type QuotaReconciliationReport } from '@app/gateway';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';

export const RECONCILE_QUOTAS_JOB = 'gateway.reconcile-quotas' as const;
/** How often every running quota counter is reconciled from the rollups (and new periods' counters seeded). */
export const RECONCILE_QUOTAS_EVERY_MS = 60_000;
/** How often the scheduler checks that its job scheduler still exists in Redis (gone = Redis lost its data). */
export const QUOTA_SCHEDULER_CHECK_MS = 30_000;

/** The Redis quota counters of libs/gateway's limiter, rebuilt from libs/metering's rollups. */
@Injectable()
export class QuotaProcessor {
  private readonly logger = new Logger(QuotaProcessor.name);

  constructor(private readonly reconciler: QuotaReconciler) {}

  /**
   * Scheduled every minute, and on demand (`subscriptionIds` to limit it). Safe to run twice or
   * concurrently: a counter is only ever raised to the rollups, atomically. The report (also the
   * job's return value, kept with the completed job) lists every counter it corrected.
   */
  @JobHandler(RECONCILE_QUOTAS_JOB)
  async reconcileQuotas(
    payload: JobPayloads[typeof RECONCILE_QUOTAS_JOB],
  ): Promise<QuotaReconciliationReport> {
    const report = await this.reconciler.reconcile({ subscriptionIds: payload?.subscriptionIds });
    this.logger.log(
      {
        reason: payload?.reason ?? 'scheduled',
        checked: report.checked,
        seeded: report.seeded,
        corrected: report.corrected.length,
        failed: report.failed,
      },
      'reconciled quota counters',
    );
    return report;
  }
}

/**
 * Registers the reconciliation's job scheduler at boot, and checks every 30 s that it is still
 * there: a Redis that lost its data (restart without persistence, failover) also lost the job
 * schedulers, so a missing one is both re-created and answered with an immediate reconciliation.
 */
@Injectable()
export class QuotaScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(QuotaScheduler.name);
  private timer?: NodeJS.Timeout;

  constructor(private readonly jobs: JobQueue) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureScheduler('boot', true);
    this.timer = setInterval(() => {
      this.ensureScheduler('redis-data-lost').catch((error: unknown) =>
        this.logger.warn({ err: error }, 'could not check the quota reconciliation scheduler'),
      );
    }, QUOTA_SCHEDULER_CHECK_MS).unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Upserts the scheduler (keyed by id: one however many workers run) when it is missing, or
   * always at boot; when it was missing, also enqueues a reconciliation at once. Answers whether
   * it was missing.
   */
  async ensureScheduler(reason: string, upsert = false): Promise<boolean> {
    const queue = this.jobs.queue(JOB_QUEUES[RECONCILE_QUOTAS_JOB]);
    const missing = !(await queue.getJobScheduler(RECONCILE_QUOTAS_JOB));
    if (!missing && !upsert) return false;
    await queue.upsertJobScheduler(
      RECONCILE_QUOTAS_JOB,
      { every: RECONCILE_QUOTAS_EVERY_MS },
      {
        name: RECONCILE_QUOTAS_JOB,
        data: {},
        opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { age: 7 * 24 * 3600 } },
      },
    );
    if (!missing) return false;
    await this.jobs.enqueue(
      RECONCILE_QUOTAS_JOB,
      { reason },
      { jobId: `reconcile-quotas-${reason}-${Date.now()}`, attempts: 3, removeOnComplete: { count: 100 } },
    );
    if (reason !== 'boot')
      this.logger.warn({ reason }, 'quota reconciliation scheduler was missing from Redis: re-created it');
    return true;
  }
}
