import { GroupCommit, JOB_QUEUES, JobHandler, JobQueue, type JobPayloads } from '@app/common';
import { ApiKeysService } from '@app/identity';
import {
  MalformedUsageBatchError,
  MAX_GROUP_CALLS,
  MeteringService,
  type ApplyBatchResult,
  type BatchKeyUse,
} from '@app/metering';
import { UsageControlsService, type UsageControlsOutcome } from '@app/subscriptions';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';

export const PRUNE_USAGE_JOB = 'metering.prune-usage' as const;
/** How often expired request-log rows and batch ids are deleted. */
export const PRUNE_USAGE_EVERY_MS = 3_600_000;

/**
 * What a usage batch job answers (BullMQ stores it with the job in Redis): the counts, without the
 * list of subscriptions the batch bills.
 */
export type UsageBatchJobResult = Omit<ApplyBatchResult, 'billedSubscriptionIds'>;

/** Jobs of libs/metering. */
@Injectable()
export class MeteringProcessor {
  private readonly logger = new Logger(MeteringProcessor.name);

  /**
   * The key uses of batches that commit together (a group, libs/metering "Group commit") go to
   * identity in one statement, which keeps the latest use per key: each job's `keysMoved` is what
   * that statement moved.
   */
  private readonly keyUses = new GroupCommit<readonly BatchKeyUse[], number>(
    async (batches) => {
      const moved = await this.keys.recordUsage(batches.flat());
      return batches.map(() => ({ status: 'fulfilled', value: moved }));
    },
    { maxInFlight: 1, maxWeight: MAX_GROUP_CALLS, weight: (uses) => uses.length },
  );

  /**
   * Likewise the usage alerts and spend caps of the subscriptions billed by batches that finish
   * together: one evaluation (one query when none has controls, the usual case) for the group
   * instead of one per job, at most one at a time. None without `UsageControlsService`.
   */
  private readonly controls?: GroupCommit<readonly string[], UsageControlsOutcome>;

  constructor(
    private readonly metering: MeteringService,
    private readonly keys: ApiKeysService,
    // always injected by the worker; optional only so metering's own int-spec can build the processor without subscriptions
    usageControls?: UsageControlsService,
  ) {
    if (usageControls)
      this.controls = new GroupCommit(
        async (batches: readonly (readonly string[])[]) => {
          const outcome = await usageControls.evaluate([...new Set(batches.flat())]);
          if (outcome.fired + outcome.capped > 0)
            this.logger.log(
              { batches: batches.length, ...outcome },
              'usage alerts fired / spend caps reached',
            );
          return batches.map(() => ({ status: 'fulfilled' as const, value: outcome }));
        },
        { maxInFlight: 1, maxWeight: MAX_GROUP_CALLS, weight: (subscriptionIds) => subscriptionIds.length },
      );
  }

  /**
   * A usage batch from a gateway's UsageBuffer (job id `usage-<batchId>`). Safe to redeliver and
   * to run concurrently: the batch id and every request id count once. Once the batch committed,
   * each key's `last_used_at` moves to its latest call in the batch through identity's
   * `ApiKeysService.recordUsage` (forward only, so a redelivery applying it again is harmless;
   * metering never writes identity's table itself).
   */
  @JobHandler('metering.apply-usage-batch')
  async applyUsageBatch(payload: JobPayloads['metering.apply-usage-batch']): Promise<UsageBatchJobResult> {
    let result: ApplyBatchResult;
    try {
      result = await this.metering.applyBatch(payload, (uses) => this.keyUses.submit(uses));
    } catch (error) {
      // retrying cannot fix a malformed payload
      if (error instanceof MalformedUsageBatchError) throw new UnrecoverableError(error.message);
      throw error;
    }
    if (!result.applied)
      this.logger.debug({ batchId: payload.batchId }, 'usage batch applied before; nothing counted');
    // usage alerts and spend caps of the subscriptions this batch bills (libs/subscriptions "Alerts and caps");
    // also on a redelivery, so a crash after the batch committed loses no alert (each fires once per period)
    if (this.controls && result.billedSubscriptionIds.length > 0)
      await this.controls.submit(result.billedSubscriptionIds);
    const { billedSubscriptionIds: _billed, ...counts } = result;
    return counts;
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
