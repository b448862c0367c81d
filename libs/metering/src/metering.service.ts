import { Clock, isUuid, type JobPayloads } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { latencyPercentiles, type LatencyPercentiles } from './latency-histogram';
import { aggregateCalls, meteredCall, type MeteredCall } from './usage-aggregation';
import { UsageRepository, type PeriodQuery, type PeriodUsageRow } from './usage.repository';

/** Recent-request log retention (README "Retention"): also the window in which a repeated request id is recognised. */
export const REQUEST_LOG_RETENTION_DAYS = 7;
/** Applied batch ids are kept this long: far beyond BullMQ's retries (minutes) and failed-job retention (7 days). */
export const USAGE_BATCH_RETENTION_DAYS = 30;
const PRUNE_CHUNK = 10_000;
const DAY_MS = 86_400_000;

export type UsageBatch = JobPayloads['metering.apply-usage-batch'];

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
}

/**
 * Writes the batch's key uses (latest call per key, sorted by key id) inside the batch's
 * transaction; answers how many keys moved. The worker passes identity's
 * `ApiKeysService.recordUsage` (metering never writes identity's table itself).
 */
export type RecordKeyUses = (manager: EntityManager, uses: readonly BatchKeyUse[]) => Promise<number>;

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
    private readonly clock: Clock,
  ) {}

  /**
   * Applies one batch in ONE transaction: claim the batch id (`usage_batches`), store the request
   * log rows of request ids never seen, add only those calls to the rollups (one multi-row upsert),
   * record how many counted. Redelivered → nothing. Safe to run concurrently with any other batch.
   */
  async applyBatch(batch: UsageBatch, recordKeyUses?: RecordKeyUses): Promise<ApplyBatchResult> {
    if (!isUuid(batch.batchId))
      throw new Error(`usage batch id must be a UUID, got ${JSON.stringify(batch.batchId)}`);
    const raw: unknown[] = Array.isArray(batch.events) ? batch.events : [];
    const byRequest = new Map<string, MeteredCall>();
    let invalid = 0;
    for (const event of raw) {
      const call = meteredCall(event);
      if (!call) invalid += 1;
      else if (!byRequest.has(call.requestId)) byRequest.set(call.requestId, call);
    }
    if (invalid > 0)
      this.logger.warn(
        { batchId: batch.batchId, invalid },
        'usage batch held malformed events; skipped them',
      );
    const calls = [...byRequest.values()].sort((a, b) =>
      a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0,
    );

    const keyUses = latestKeyUses(calls);

    return this.usage.transaction(async (manager) => {
      const claimed = await this.usage.claimBatch(manager, batch.batchId.toLowerCase(), raw.length);
      if (!claimed) {
        // a redelivery counts nothing, but still moves the keys (forward only): harmless if done before
        const keysMoved = recordKeyUses ? await recordKeyUses(manager, keyUses) : 0;
        return { applied: false, events: raw.length, counted: 0, duplicates: 0, invalid, keysMoved };
      }
      const fresh = await this.usage.insertNewRequests(manager, batch.batchId.toLowerCase(), calls);
      const counted = calls.filter((call) => fresh.has(call.requestId));
      await this.usage.addToRollups(manager, aggregateCalls(counted));
      await this.usage.setCounted(manager, batch.batchId.toLowerCase(), counted.length);
      // last: api_keys rows are locked after the rollup rows, in key order, by every batch alike
      const keysMoved = recordKeyUses ? await recordKeyUses(manager, keyUses) : 0;
      return {
        applied: true,
        events: raw.length,
        counted: counted.length,
        duplicates: raw.length - invalid - counted.length,
        invalid,
        keysMoved,
      };
    });
  }

  /**
   * Calls, billable units and overage units of a subscription in [start, end), from the minute
   * rollups. A minute belongs to the period holding its first instant (periods need not start on
   * a minute): each minute counts in exactly one of two adjacent periods.
   */
  async usageForPeriod(subscriptionId: string, start: Date, end: Date): Promise<PeriodUsage> {
    const [usage] = await this.usage.usageForPeriods([{ subscriptionId, start, end }]);
    return usage;
  }

  /** `usageForPeriod` for many subscriptions in one query (billing's period close), in the order asked. */
  usageForPeriods(periods: readonly PeriodQuery[]): Promise<PeriodUsage[]> {
    return this.usage.usageForPeriods(periods);
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

/** The latest `at` per key among the calls, sorted by key id (the order identity locks key rows in). */
function latestKeyUses(calls: readonly MeteredCall[]): BatchKeyUse[] {
  const latest = new Map<string, number>();
  for (const call of calls) {
    const time = call.at.getTime();
    if (time > (latest.get(call.keyId) ?? -Infinity)) latest.set(call.keyId, time);
  }
  return [...latest]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([keyId, time]) => ({ keyId, usedAt: new Date(time) }));
}
