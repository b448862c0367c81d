import { JOB_QUEUES, JobHandler, JobQueue, type JobPayloads } from '@app/common';
import { RollupFoldService, type FoldReport } from '@app/metering';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

export const FOLD_ROLLUPS_JOB = 'metering.fold-rollups' as const;
/**
 * How often the minute rollups' changes are folded into the hour and day rollups. Readers add the
 * pending changes themselves (always exact), so this only bounds how many they add: a few seconds'
 * worth of usage.
 */
export const FOLD_ROLLUPS_EVERY_MS = 5_000;

/** The hour and day rollups of libs/metering (README "Hours and days"). */
@Injectable()
export class RollupsProcessor {
  private readonly logger = new Logger(RollupsProcessor.name);

  constructor(private readonly folds: RollupFoldService) {}

  /** Safe to run twice or concurrently: each pending change is moved by exactly one fold. */
  @JobHandler(FOLD_ROLLUPS_JOB)
  async foldRollups(_payload: JobPayloads[typeof FOLD_ROLLUPS_JOB]): Promise<FoldReport> {
    const report = await this.folds.fold();
    if (report.tookMs > 1_000) this.logger.log(report, 'folded a backlog of rollup changes');
    return report;
  }
}

/** Registers the fold's job scheduler at worker boot (keyed by name: one schedule however many workers run). */
@Injectable()
export class RollupsScheduler implements OnApplicationBootstrap {
  constructor(private readonly jobs: JobQueue) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.queue(JOB_QUEUES[FOLD_ROLLUPS_JOB]).upsertJobScheduler(
      FOLD_ROLLUPS_JOB,
      { every: FOLD_ROLLUPS_EVERY_MS },
      {
        name: FOLD_ROLLUPS_JOB,
        data: {},
        opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { age: 7 * 24 * 3600 } },
      },
    );
  }
}
