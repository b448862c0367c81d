import { JOB_QUEUES, JobHandler, JobQueue, type JobPayloads } from '@app/common';
import { SubscriptionsService, type AdvanceResult } from '@app/subscriptions';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

export const ADVANCE_PERIODS_JOB = 'subscriptions.advance-periods' as const;
/** How often the period job runs: a period or trial ends at most this late (reads settle at once anyway). */
export const ADVANCE_PERIODS_EVERY_MS = 60_000;

/** Jobs of libs/subscriptions. */
@Injectable()
export class SubscriptionsProcessor {
  private readonly logger = new Logger(SubscriptionsProcessor.name);

  constructor(private readonly subscriptions: SubscriptionsService) {}

  /**
   * Settles the subscriptions whose period or trial ended (roll the period, end a cancellation due
   * at the period end, end a trial) and announces each change. Safe to run twice or concurrently:
   * every write is conditional on the state read, and a settled subscription is no longer due.
   */
  @JobHandler(ADVANCE_PERIODS_JOB)
  async advancePeriods(_payload: JobPayloads[typeof ADVANCE_PERIODS_JOB]): Promise<AdvanceResult> {
    const result = await this.subscriptions.advanceDuePeriods();
    if (result.due > 0) this.logger.log(result, 'advanced subscription periods');
    return result;
  }
}

/**
 * Registers the period job's BullMQ job scheduler at worker boot. `upsertJobScheduler` is keyed
 * by the scheduler id, so every worker replica (and every restart) upserts the same one: one job
 * per interval however many workers run.
 */
@Injectable()
export class SubscriptionsScheduler implements OnApplicationBootstrap {
  constructor(private readonly jobs: JobQueue) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.queue(JOB_QUEUES[ADVANCE_PERIODS_JOB]).upsertJobScheduler(
      ADVANCE_PERIODS_JOB,
      { every: ADVANCE_PERIODS_EVERY_MS },
      {
        name: ADVANCE_PERIODS_JOB,
        data: {},
        // a failed run is simply the next tick's work; keep a short history
        opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { age: 7 * 24 * 3600 } },
      },
    );
  }
}
