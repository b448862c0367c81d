import { isUuid, JOB_QUEUES, JobHandler, JobQueue, type JobPayloads } from '@app/common';
import { MeteringService, type ApplyBatchResult } from '@app/metering';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';

export const PRUNE_USAGE_JOB = 'metering.prune-usage' as const;
/** How often expired request-log rows and batch ids are deleted. */
export const PRUNE_USAGE_EVERY_MS = 3_600_000;

/** Jobs of libs/metering. */
@Injectable()
export class MeteringProcessor {
  private readonly logger = new Logger(MeteringProcessor.name);

  constructor(private readonly metering: MeteringService) {}

  /**
   * A usage batch from a gateway's UsageBuffer (job id `usage-<batchId>`). Safe to redeliver and
   * to run concurrently: the batch id and every request id count once, in one transaction.
   */
  @JobHandler('metering.apply-usage-batch')
  async applyUsageBatch(payload: JobPayloads['metering.apply-usage-batch']): Promise<ApplyBatchResult> {
    if (typeof payload?.batchId !== 'string' || !isUuid(payload.batchId) || !Array.isArray(payload.events)) {
      // retrying cannot fix a malformed payload
      throw new UnrecoverableError('usage batch payload needs a UUID batchId and an events array');
    }
    const result = await this.metering.applyBatch(payload);
    if (!result.applied)
      this.logger.debug({ batchId: payload.batchId }, 'usage batch applied before; nothing counted');
    return result;
  }

  @JobHandler(PRUNE_USAGE_JOB)
  async pruneUsage(
    _payload: JobPayloads[typeof PRUNE_USAGE_JOB],
  ): Promise<{ requests: number; batches: number }> {
    const pruned = await this.metering.pruneExpired();
    if (pruned.requests + pruned.batches > 0) this.logger.log(pruned, 'pruned expired usage rows');
    return pruned;
  }
}

/** Registers the prune job's scheduler at worker boot (keyed by id: one per interval however many workers run). */
@Injectable()
export class MeteringScheduler implements OnApplicationBootstrap {
  constructor(private readonly jobs: JobQueue) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.queue(JOB_QUEUES[PRUNE_USAGE_JOB]).upsertJobScheduler(
      PRUNE_USAGE_JOB,
      { every: PRUNE_USAGE_EVERY_MS },
      {
        name: PRUNE_USAGE_JOB,
        data: {},
        opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { age: 7 * 24 * 3600 } },
      },
    );
  }
}
