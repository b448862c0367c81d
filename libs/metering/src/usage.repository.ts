import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { LATENCY_BUCKET_COUNT } from './latency-histogram';
import type { MeteredCall, RollupDelta } from './usage-aggregation';

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

/** SQLSTATE raised by `metering_require_all_fresh` (migration MeteringOneStatementApply). */
const NOT_ALL_FRESH = 'PM409';

/** `$first, $first+1, …` typed as the given array types. */
const arrayParams = (first: number, types: readonly string[]): string =>
  types.map((type, i) => `$${first + i}::${type}[]`).join(', ');

const REQUEST_ARRAY_TYPES =
  'varchar timestamptz uuid uuid uuid varchar uuid uuid uuid varchar smallint int bigint bigint varchar int boolean varchar'.split(
    ' ',
  );
const REQUEST_ARRAYS = REQUEST_ARRAY_TYPES.length;

/**
 * Inserts the request-log rows given as arrays from `$first` on (see `requestArrays`), batch id in
 * `$batch`, in the given order; a request id stored before is skipped.
 */
function requestLogInsert(batch: number, first: number): string {
  return `INSERT INTO usage_requests (request_id, at, batch_id, consumer_account_id, application_id, key_id, key_prefix,
         api_id, subscription_id, endpoint_id, method, status, latency_ms, bytes_in, bytes_out, mode, billable_units,
         generated, error_code)
       SELECT c.request_id, c.at, $${batch}, c.consumer_account_id, c.application_id, c.key_id, c.key_prefix,
         c.api_id, c.subscription_id, c.endpoint_id, c.method, c.status, c.latency_ms, c.bytes_in, c.bytes_out, c.mode,
         c.billable_units, c.generated, c.error_code
       FROM unnest(${arrayParams(first, REQUEST_ARRAY_TYPES)})
         WITH ORDINALITY AS c(request_id, at, consumer_account_id, application_id, key_id, key_prefix, api_id,
           subscription_id, endpoint_id, method, status, latency_ms, bytes_in, bytes_out, mode, billable_units,
           generated, error_code, ord)
       ORDER BY c.ord
       ON CONFLICT ON CONSTRAINT pk_usage_requests DO NOTHING`;
}

function requestArrays(calls: readonly MeteredCall[]): unknown[] {
  return [
    calls.map((c) => c.requestId),
    calls.map((c) => c.at.toISOString()),
    calls.map((c) => c.consumerAccountId),
    calls.map((c) => c.applicationId),
    calls.map((c) => c.keyId),
    calls.map((c) => c.keyPrefix),
    calls.map((c) => c.apiId),
    calls.map((c) => c.subscriptionId),
    calls.map((c) => c.endpointId),
    calls.map((c) => c.method),
    calls.map((c) => c.status),
    calls.map((c) => c.latencyMs),
    calls.map((c) => c.bytesIn),
    calls.map((c) => c.bytesOut),
    calls.map((c) => c.mode),
    calls.map((c) => c.billableUnits),
    calls.map((c) => c.generated),
    calls.map((c) => c.errorCode),
  ];
}

/** The minute rollups' columns, in the order of `rollupArrays`. */
const ROLLUP_COLUMNS =
  'subscription_id, minute, application_id, key_id, api_id, endpoint_id, plan_id, status_class, consumer_account_id, ' +
  'mode, calls, errors, bytes_in, bytes_out, billable_units, overage_units, latency_ms_sum, latency_histogram';

/** The columns read from `unnest(…) AS d(ROLLUP_COLUMNS)`, the histogram sent as text. */
const ROLLUP_SELECT = ROLLUP_COLUMNS.replace('latency_histogram', 'latency_histogram::int[]');

const ROLLUP_ARRAY_TYPES =
  'uuid timestamptz uuid uuid uuid uuid uuid smallint uuid varchar bigint bigint bigint bigint bigint bigint bigint text'.split(
    ' ',
  );

/**
 * The stored histogram plus the batch's, bucket by bucket, as one array constructor: an
 * `unnest … WITH ORDINALITY` subquery per updated row cost about 6 µs a row more.
 */
const HISTOGRAM_SUM = `ARRAY[${Array.from(
  { length: LATENCY_BUCKET_COUNT },
  (_, i) => `coalesce(r.latency_histogram[${i + 1}], 0) + coalesce(EXCLUDED.latency_histogram[${i + 1}], 0)`,
).join(', ')}]`;

/** Adds the rollup deltas given as arrays from `$first` on (see `rollupArrays`), locking rows in the given order. */
function rollupUpsert(first: number): string {
  return `INSERT INTO usage_minute_rollups AS r (${ROLLUP_COLUMNS})
       SELECT ${ROLLUP_SELECT}
       FROM unnest(${arrayParams(first, ROLLUP_ARRAY_TYPES)}) WITH ORDINALITY AS d(${ROLLUP_COLUMNS}, ord)
       ORDER BY d.ord
       ON CONFLICT ON CONSTRAINT pk_usage_minute_rollups DO UPDATE SET
         calls = r.calls + EXCLUDED.calls,
         errors = r.errors + EXCLUDED.errors,
         bytes_in = r.bytes_in + EXCLUDED.bytes_in,
         bytes_out = r.bytes_out + EXCLUDED.bytes_out,
         billable_units = r.billable_units + EXCLUDED.billable_units,
         overage_units = r.overage_units + EXCLUDED.overage_units,
         latency_ms_sum = r.latency_ms_sum + EXCLUDED.latency_ms_sum,
         latency_histogram = ${HISTOGRAM_SUM}`;
}

/**
 * Appends the same deltas (given as arrays from `$first` on, see `rollupArrays`) to
 * `usage_rollup_deltas`, which the hour/day fold reads: for a writer that sets
 * `metering.deltas_logged` so the trigger on the minute rollups does not log them again.
 */
function rollupDeltasAppend(first: number): string {
  return `INSERT INTO usage_rollup_deltas (${ROLLUP_COLUMNS})
       SELECT ${ROLLUP_SELECT}
       FROM unnest(${arrayParams(first, ROLLUP_ARRAY_TYPES)})
         AS d(${ROLLUP_COLUMNS})`;
}

function rollupArrays(deltas: readonly RollupDelta[]): unknown[] {
  return [
    deltas.map((d) => d.subscriptionId),
    deltas.map((d) => new Date(d.minute).toISOString()),
    deltas.map((d) => d.applicationId),
    deltas.map((d) => d.keyId),
    deltas.map((d) => d.apiId),
    deltas.map((d) => d.endpointId),
    deltas.map((d) => d.planId),
    deltas.map((d) => d.statusClass),
    deltas.map((d) => d.consumerAccountId),
    deltas.map((d) => d.mode),
    deltas.map((d) => d.calls),
    deltas.map((d) => d.errors),
    deltas.map((d) => d.bytesIn),
    deltas.map((d) => d.bytesOut),
    deltas.map((d) => d.billableUnits),
    deltas.map((d) => d.overageUnits),
    deltas.map((d) => d.latencyMsSum),
    deltas.map((d) => `{${d.latencyHistogram.join(',')}}`),
  ];
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
   * The fast path: applies a batch whose requests are all new in ONE autocommit statement (request
   * log, rollups and their deltas for the hour/day fold, batch row with its count), so the rollup
   * rows it locks are released as soon as they are written. Answers false, having changed nothing, when any request id was stored before
   * or the batch id was applied already (`metering_require_all_fresh` raises and the statement
   * rolls back): the caller then applies the batch with `claimBatch` and friends. Never inside a
   * caller's transaction: the `metering.deltas_logged` it sets would then hide that transaction's
   * later minute-rollup writes from the delta trigger.
   */
  async applyFreshBatch(
    batchId: string,
    events: number,
    calls: readonly MeteredCall[],
    deltas: readonly RollupDelta[],
  ): Promise<boolean> {
    try {
      await this.dataSource.query(
        `WITH ins AS (${requestLogInsert(1, 4)} RETURNING 1),
         fresh AS (SELECT count(*) AS n FROM ins),
         roll AS (${rollupUpsert(4 + REQUEST_ARRAYS)} RETURNING 1),
         deltas AS (${rollupDeltasAppend(4 + REQUEST_ARRAYS)} RETURNING 1),
         claim AS (
           INSERT INTO usage_batches (batch_id, events, counted) SELECT $1, $2, fresh.n FROM fresh
           ON CONFLICT ON CONSTRAINT pk_usage_batches DO NOTHING
           RETURNING 1)
         SELECT metering_require_all_fresh((SELECT n FROM fresh), $3, (SELECT count(*) FROM claim)),
           -- read by the minute rollups' trigger at the end of this statement: deltas appended above
           set_config('metering.deltas_logged', 'on', true)`,
        [batchId, events, calls.length, ...requestArrays(calls), ...rollupArrays(deltas)],
      );
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === NOT_ALL_FRESH) return false;
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
    const rows = await manager.query<{ request_id: string }[]>(
      `${requestLogInsert(1, 2)} RETURNING request_id`,
      [batchId, ...requestArrays(calls)],
    );
    return new Set(rows.map((row) => row.request_id));
  }

  /** Adds the deltas (one per row, sorted by primary key) to the minute rollups in one statement. */
  async addToRollups(manager: EntityManager, deltas: readonly RollupDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    await manager.query(rollupUpsert(1), rollupArrays(deltas));
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
