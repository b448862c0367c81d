import { Injectable } from '@nestjs/common';
import { isUniqueViolation, runPrepared } from '@app/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { MeteredCall, RollupDelta } from './usage-aggregation';
import {
  ADD_TO_ROLLUPS,
  addToRollupsValues,
  APPLY_FRESH_BATCH,
  applyFreshBatchValues,
  type FreshBatch,
  INSERT_NEW_REQUESTS,
  insertNewRequestsValues,
} from './usage-batch-sql';

export interface PeriodUsageRow {
  calls: number;
  billableUnits: number;
  overageUnits: number;
}

export interface PeriodQuery {
  subscriptionId: string;
  /** Inclusive. */
  start: Date;
  /** Exclusive. */
  end: Date;
}

/**
 * SQL of libs/metering's tables (`usage_batches`, `usage_requests`, `usage_minute_rollups`, the
 * hour/day views). Every write takes the caller's transaction; every multi-row write is ONE
 * statement fed by `unnest` arrays, in the order the caller gives (sorted by key, so concurrent
 * batches lock shared rows in the same order).
 */
@Injectable()
export class UsageRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * The fast path: applies batches whose requests are all new in ONE autocommit statement (request
   * log, rollups and their deltas for the hour/day fold, batch rows with their counts), so the rollup
   * rows it locks are released as soon as they are written. The request log and the batch rows are
   * plain inserts: a request id stored before, or a batch id applied already, is a unique violation
   * that rolls the whole statement back, and the answer is then false, having changed nothing: the
   * caller applies the batch with `claimBatch` and friends. (An `ON CONFLICT DO NOTHING` with a
   * count of the rows written cost a second index probe per call and a tuplestore of them.) Never
   * inside a caller's transaction: the `metering.deltas_logged` it sets would then hide that
   * transaction's later minute-rollup writes from the delta trigger.
   */
  async applyFreshBatches(batches: readonly FreshBatch[], deltas: readonly RollupDelta[]): Promise<boolean> {
    try {
      await runPrepared(this.dataSource, APPLY_FRESH_BATCH, applyFreshBatchValues(batches, deltas));
      return true;
    } catch (error) {
      if (isUniqueViolation(error, 'pk_usage_requests') || isUniqueViolation(error, 'pk_usage_batches'))
        return false;
      throw error;
    }
  }

  /**
   * Claims a batch id for this transaction; false when the batch was applied already. A concurrent
   * transaction claiming the same id waits here until this one ends, then gets false (or the claim,
   * if this one rolled back).
   */
  async claimBatch(manager: EntityManager, batchId: string, events: number): Promise<boolean> {
    const rows = await manager.query<{ batch_id: string }[]>(
      `INSERT INTO usage_batches (batch_id, events) VALUES ($1, $2)
       ON CONFLICT ON CONSTRAINT pk_usage_batches DO NOTHING
       RETURNING batch_id`,
      [batchId, events],
    );
    return rows.length > 0;
  }

  async setCounted(manager: EntityManager, batchId: string, counted: number): Promise<void> {
    await manager.query(`UPDATE usage_batches SET counted = $2 WHERE batch_id = $1`, [batchId, counted]);
  }

  /**
   * Writes the request-log rows of `calls` (sorted by request id by the caller) and answers the
   * request ids that were new: a request id stored before, by this batch or another, is skipped.
   */
  async insertNewRequests(
    manager: EntityManager,
    batchId: string,
    calls: readonly MeteredCall[],
  ): Promise<Set<string>> {
    if (calls.length === 0) return new Set();
    const { rows } = await runPrepared<{ request_id: string }>(
      this.dataSource,
      INSERT_NEW_REQUESTS,
      insertNewRequestsValues(batchId, calls),
      manager,
    );
    return new Set(rows.map((row) => row.request_id));
  }

  /** Adds the deltas (one per row, sorted by primary key) to the minute rollups in one statement. */
  async addToRollups(manager: EntityManager, deltas: readonly RollupDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    await runPrepared(this.dataSource, ADD_TO_ROLLUPS, addToRollupsValues(deltas), manager);
  }

  /** The summed latency histogram of a subscription's calls in [start, end) (SQL aggregate from the migration). */
  async latencyHistogram(subscriptionId: string, start: Date, end: Date): Promise<number[]> {
    const [row] = await this.dataSource.query<{ histogram: string[] | null }[]>(
      `SELECT metering_histogram_sum(latency_histogram) AS histogram
       FROM usage_minute_rollups
       WHERE subscription_id = $1 AND minute >= $2 AND minute < $3`,
      [subscriptionId, start.toISOString(), end.toISOString()],
    );
    return (row?.histogram ?? []).map(Number);
  }

  /** Deletes up to `limit` request-log rows older than `before`; answers how many went. */
  async deleteRequestsBefore(before: Date, limit: number): Promise<number> {
    const [, affected] = await this.dataSource.query<[unknown, number]>(
      `DELETE FROM usage_requests WHERE request_id IN (
         SELECT request_id FROM usage_requests WHERE at < $1 LIMIT $2)`,
      [before.toISOString(), limit],
    );
    return affected;
  }

  async deleteBatchesBefore(before: Date, limit: number): Promise<number> {
    const [, affected] = await this.dataSource.query<[unknown, number]>(
      `DELETE FROM usage_batches WHERE batch_id IN (
         SELECT batch_id FROM usage_batches WHERE applied_at < $1 LIMIT $2)`,
      [before.toISOString(), limit],
    );
    return affected;
  }
}
