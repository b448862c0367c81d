import { Clock, compareCodeUnits, GroupCommit, isUuid, type JobPayloads } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import { billedSubscriptionIds } from './billed-subscriptions';
import { latencyPercentiles, type LatencyPercentiles } from './latency-histogram';
import { aggregateCalls, meteredCalls, type MeteredCall } from './usage-aggregation';
import { UsageAnalyticsRepository } from './analytics/usage-analytics.repository';
import type { FreshBatch } from './usage-batch-sql';
import { UsageRepository, type PeriodQuery, type PeriodUsageRow } from './usage.repository';

/** Recent-request log retention (README "Retention"): also the window in which a repeated request id is recognised. */
export const REQUEST_LOG_RETENTION_DAYS = 7;
/** Applied batch ids are kept this long: far beyond BullMQ's retries (minutes) and failed-job retention (7 days). */
export const USAGE_BATCH_RETENTION_DAYS = 30;
const PRUNE_CHUNK = 10_000;
/**
 * Batches applied by one statement at most, counted in calls (`GroupCommit.maxWeight`): ten of the
 * gateway's full batches (docs/benchmarks.md "The ninth machine: group commit").
 */
export const MAX_GROUP_CALLS = 5_000;
/**
 * Group statements running at once per process; the batches that arrive meanwhile wait for the
 * next. Two, so one group's parameters are built and its request-log rows written while the other
 * commits (docs/benchmarks.md "The ninth machine: group commit").
 */
export const GROUPS_IN_FLIGHT = 2;
const DAY_MS = 86_400_000;

export type UsageBatch = JobPayloads['metering.apply-usage-batch'];

/** A usage batch payload no retry can apply (no UUID batch id, or no readable calls). */
export class MalformedUsageBatchError extends Error {
  override readonly name = 'MalformedUsageBatchError';
}

export interface ApplyBatchResult {
  /** False when the batch id was applied before (a redelivery): nothing was counted. */
  applied: boolean;
  events: number;
  /** Calls added to the rollups by this batch. */
  counted: number;
  /** Request ids already counted (by an earlier batch, or twice in this one). */
  duplicates: number;
  /** Events that could not be stored (malformed); logged. */
  invalid: number;
  /** Keys whose last use the `recordKeyUses` hook moved (0 without a hook). */
  keysMoved: number;
  /** The subscriptions this batch bills, also when it was applied before (`billedSubscriptionIds`): for usage alerts and caps. */
  billedSubscriptionIds: string[];
  /** Batches applied by the same statement as this one (1: alone; see `applyBatch`). */
  group: number;
}

/** A batch checked: its calls valid, one per request id, sorted by request id. */
interface CheckedBatch {
  batchId: string;
  events: number;
  calls: MeteredCall[];
}

/** What applying a batch counted: null when it was applied before. */
interface Applied {
  counted: number | null;
  group: number;
}

/**
 * Writes the batch's key uses (latest call per key, sorted by key id) once the batch committed,
 * also for a redelivered batch; answers how many keys moved. The worker passes identity's
 * `ApiKeysService.recordUsage` (metering never writes identity's table itself).
 */
export type RecordKeyUses = (uses: readonly BatchKeyUse[]) => Promise<number>;

/** A key's latest use seen in a batch. */
export interface BatchKeyUse {
  keyId: string;
  usedAt: Date;
}

export type PeriodUsage = PeriodUsageRow;

/**
 * Metering (DESIGN §6, issue 5 "Counting"): applies the gateway's usage batches to the minute
 * rollups and the recent-request log, exactly once per batch id and once per request id, and
 * answers the reads billing needs.
 */
@Injectable()
export class MeteringService {
  private readonly logger = new Logger(MeteringService.name);

  constructor(
    private readonly usage: UsageRepository,
    private readonly analytics: UsageAnalyticsRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * Batches submitted while groups are being written form the next group (`GROUPS_IN_FLIGHT`,
   * `MAX_GROUP_CALLS`): under load one statement applies several batches (fewer rollup rows per
   * call, one commit); idle, a batch goes alone at once.
   */
  private readonly groups = new GroupCommit<CheckedBatch, Applied>((batches) => this.applyGroup(batches), {
    maxInFlight: GROUPS_IN_FLIGHT,
    maxWeight: MAX_GROUP_CALLS,
    weight: (batch) => batch.calls.length,
  });

  /**
   * Applies one batch exactly once: the batch id and every request id count once, the request log
   * and the rollups commit together. Batches of new requests (the normal case) take ONE statement
   * (`UsageRepository.applyFreshBatches`), so the rollup rows they share with concurrent batches
   * stay locked only while it writes them; batches that arrive together share it (group commit).
   * A redelivered or overlapping batch is then applied in one transaction of its own that claims
   * the batch id and counts only the request ids never seen. Safe to run concurrently with any
   * other batch. Afterwards the `recordKeyUses` hook moves the keys' last use (forward only, so
   * running it again on a redelivery is harmless).
   */
  async applyBatch(batch: UsageBatch, recordKeyUses?: RecordKeyUses): Promise<ApplyBatchResult> {
    if (typeof batch?.batchId !== 'string' || !isUuid(batch.batchId))
      throw new MalformedUsageBatchError(
        `usage batch id must be a UUID, got ${JSON.stringify(batch?.batchId)}`,
      );
    const batchId = batch.batchId.toLowerCase();
    const checked = meteredCalls(batch);
    if (checked === null)
      throw new MalformedUsageBatchError(
        'usage batch payload needs its calls: columns of one length (`calls`) or an `events` array',
      );
    const byRequest = new Map<string, MeteredCall>();
    let invalid = 0;
    for (const call of checked) {
      if (!call) invalid += 1;
      else if (!byRequest.has(call.requestId)) byRequest.set(call.requestId, call);
    }
    if (invalid > 0)
      this.logger.warn({ batchId, invalid }, 'usage batch held malformed events; skipped them');
    const calls = [...byRequest.values()].sort((a, b) => compareCodeUnits(a.requestId, b.requestId));

    const { counted, group } = await this.groups.submit({ batchId, events: checked.length, calls });
    const keysMoved = recordKeyUses ? await recordKeyUses(latestKeyUses(calls)) : 0;
    return {
      applied: counted !== null,
      events: checked.length,
      counted: counted ?? 0,
      duplicates: counted === null ? 0 : checked.length - invalid - counted,
      invalid,
      keysMoved,
      billedSubscriptionIds: billedSubscriptionIds(calls),
      group,
    };
  }

  /**
   * A group of batches in ONE statement when all their request ids and batch ids are new (a
   * request id in two of them counts in the first); otherwise, or when that statement fails, each
   * batch alone, so one batch applied before or one bad batch does not hold the others back.
   */
  private async applyGroup(batches: readonly CheckedBatch[]): Promise<PromiseSettledResult<Applied>[]> {
    if (batches.length > 1) {
      const seen = new Set<string>();
      const fresh: FreshBatch[] = batches.map(({ batchId, events, calls }) => ({
        batchId,
        events,
        calls: calls.filter((call) => !seen.has(call.requestId) && seen.add(call.requestId)),
      }));
      let applied: boolean;
      try {
        applied = await this.usage.applyFreshBatches(fresh, aggregateCalls(fresh.flatMap((b) => b.calls)));
      } catch (error) {
        this.logger.warn(
          { batches: batches.length, err: error },
          'usage batch group failed; applying its batches one by one',
        );
        applied = false;
      }
      if (applied)
        return fresh.map((b) => ({
          status: 'fulfilled',
          value: { counted: b.calls.length, group: batches.length },
        }));
    }
    const results: PromiseSettledResult<Applied>[] = [];
    for (const batch of batches) {
      try {
        results.push({ status: 'fulfilled', value: { counted: await this.applyAlone(batch), group: 1 } });
      } catch (error) {
        results.push({ status: 'rejected', reason: error });
      }
    }
    return results;
  }

  /** One batch: the fast path, or when a request id or the batch id was stored before, the careful one. */
  private async applyAlone({ batchId, events, calls }: CheckedBatch): Promise<number | null> {
    return (await this.usage.applyFreshBatches([{ batchId, events, calls }], aggregateCalls(calls)))
      ? calls.length
      : this.applyCarefully(batchId, events, calls);
  }

  /** The batch in one transaction, counting only request ids never seen; null when the batch id was applied before. */
  private applyCarefully(
    batchId: string,
    events: number,
    calls: readonly MeteredCall[],
  ): Promise<number | null> {
    return this.usage.transaction(async (manager) => {
      if (!(await this.usage.claimBatch(manager, batchId, events))) return null;
      const fresh = await this.usage.insertNewRequests(manager, batchId, calls);
      const counted = calls.filter((call) => fresh.has(call.requestId));
      await this.usage.addToRollups(manager, aggregateCalls(counted));
      await this.usage.setCounted(manager, batchId, counted.length);
      return counted.length;
    });
  }

  /**
   * Calls, billable units and overage units of a subscription in [start, end), from the minute
   * rollups. A minute belongs to the period holding its first instant (periods need not start on
   * a minute): each minute counts in exactly one of two adjacent periods.
   */
  async usageForPeriod(subscriptionId: string, start: Date, end: Date): Promise<PeriodUsage> {
    const [usage] = await this.usageForPeriods([{ subscriptionId, start, end }]);
    return usage;
  }

  /**
   * `usageForPeriod` for many subscriptions in one query (billing's period close, usage controls,
   * quota reconciliation), in the order asked: whole days and hours from the folded rollups, the
   * edges from the minutes, so a month costs thousands of rows, not millions (bench:analytics).
   */
  async usageForPeriods(periods: readonly PeriodQuery[]): Promise<PeriodUsage[]> {
    const rows = await this.analytics.periodTotals({ kind: 'platform' }, periods);
    return rows.map((row) => ({
      calls: Number(row.calls ?? 0),
      billableUnits: Number(row.billable_units ?? 0),
      overageUnits: Number(row.overage_units ?? 0),
    }));
  }

  /** p50/p95/p99 latency (ms) of a subscription's calls in [start, end), from the summed histograms. */
  async latencyForPeriod(
    subscriptionId: string,
    start: Date,
    end: Date,
  ): Promise<LatencyPercentiles & { histogram: number[] }> {
    const histogram = await this.usage.latencyHistogram(subscriptionId, start, end);
    return { ...latencyPercentiles(histogram), histogram };
  }

  /**
   * Deletes request-log rows older than REQUEST_LOG_RETENTION_DAYS and batch ids older than
   * USAGE_BATCH_RETENTION_DAYS, in chunks (short transactions). Rollups are never pruned.
   */
  async pruneExpired(now: Date = this.clock.now()): Promise<{ requests: number; batches: number }> {
    const requestsBefore = new Date(now.getTime() - REQUEST_LOG_RETENTION_DAYS * DAY_MS);
    const batchesBefore = new Date(now.getTime() - USAGE_BATCH_RETENTION_DAYS * DAY_MS);
    let requests = 0;
    for (let n = PRUNE_CHUNK; n === PRUNE_CHUNK;) {
      n = await this.usage.deleteRequestsBefore(requestsBefore, PRUNE_CHUNK);
      requests += n;
    }
    let batches = 0;
    for (let n = PRUNE_CHUNK; n === PRUNE_CHUNK;) {
      n = await this.usage.deleteBatchesBefore(batchesBefore, PRUNE_CHUNK);
      batches += n;
    }
    return { requests, batches };
  }
}

/** The latest call per key among the calls, sorted by key id (the order identity locks key rows in). */
function latestKeyUses(calls: readonly MeteredCall[]): BatchKeyUse[] {
  const latest = new Map<string, number>();
  for (const call of calls) {
    if (call.atMs > (latest.get(call.keyId) ?? -Infinity)) latest.set(call.keyId, call.atMs);
  }
  return [...latest]
    .sort(([a], [b]) => compareCodeUnits(a, b))
    .map(([keyId, time]) => ({ keyId, usedAt: new Date(time) }));
}
