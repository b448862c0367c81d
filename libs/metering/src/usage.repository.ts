import { Injectable } from '@nestjs/common';
import { isUniqueViolation, pgBinaryArray } from '@app/common';
import type { PoolClient } from 'pg';
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

/** `$first, $first+1, …` typed as the given array types. */
const arrayParams = (first: number, types: readonly string[]): string =>
  types.map((type, i) => `$${first + i}::${type}[]`).join(', ');

/** The request log's columns as arrays, in the order and types of `requestArrays`. */
const REQUEST_ARRAY_TYPES =
  'varchar timestamptz uuid uuid uuid varchar uuid uuid uuid varchar int2 int4 int8 int8 varchar int4 bool varchar'.split(
    ' ',
  );
const REQUEST_ARRAYS = REQUEST_ARRAY_TYPES.length;

/**
 * Inserts the request-log rows given as arrays from `$first` on (see `requestArrays`), batch id in
 * `$batch`, in the given order.
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
       ORDER BY c.ord`;
}

/** The calls' request-log columns in PostgreSQL's binary array format (nothing for the server to parse). */
function requestArrays(calls: readonly MeteredCall[]): Buffer[] {
  return [
    pgBinaryArray.varchar(calls.map((c) => c.requestId)),
    pgBinaryArray.timestamptz(calls.map((c) => c.at.getTime())),
    pgBinaryArray.uuid(calls.map((c) => c.consumerAccountId)),
    pgBinaryArray.uuid(calls.map((c) => c.applicationId)),
    pgBinaryArray.uuid(calls.map((c) => c.keyId)),
    pgBinaryArray.varchar(calls.map((c) => c.keyPrefix)),
    pgBinaryArray.uuid(calls.map((c) => c.apiId)),
    pgBinaryArray.uuid(calls.map((c) => c.subscriptionId)),
    pgBinaryArray.uuid(calls.map((c) => c.endpointId)),
    pgBinaryArray.varchar(calls.map((c) => c.method)),
    pgBinaryArray.int2(calls.map((c) => c.status)),
    pgBinaryArray.int4(calls.map((c) => c.latencyMs)),
    pgBinaryArray.int8(calls.map((c) => c.bytesIn)),
    pgBinaryArray.int8(calls.map((c) => c.bytesOut)),
    pgBinaryArray.varchar(calls.map((c) => c.mode)),
    pgBinaryArray.int4(calls.map((c) => c.billableUnits)),
    pgBinaryArray.bool(calls.map((c) => c.generated)),
    pgBinaryArray.varchar(calls.map((c) => c.errorCode)),
  ];
}

/** The minute rollups' columns, in the order of `rollupArrays` (the histogram last). */
const ROLLUP_COLUMNS =
  'subscription_id, minute, application_id, key_id, api_id, endpoint_id, plan_id, status_class, consumer_account_id, ' +
  'mode, calls, errors, bytes_in, bytes_out, billable_units, overage_units, latency_ms_sum, latency_histogram';

/** Types of `rollupArrays` but the last: every column but the histogram, one element per row. */
const ROLLUP_ARRAY_TYPES =
  'uuid timestamptz uuid uuid uuid uuid uuid int2 uuid varchar int8 int8 int8 int8 int8 int8 int8'.split(' ');

/**
 * `FROM unnest(…) … AS d` and the columns to select from it, for the rollup arrays given from
 * `$first` on: the columns but the histogram come one array each; the histograms come as ONE flat
 * int4 array (row i's buckets at i × LATENCY_BUCKET_COUNT onwards), each row's a slice of it.
 */
function rollupSource(first: number): { select: string; from: string } {
  const histograms = `($${first + ROLLUP_ARRAY_TYPES.length}::int4[])`;
  return {
    select: ROLLUP_COLUMNS.replace(
      'latency_histogram',
      `${histograms}[(d.ord - 1) * ${LATENCY_BUCKET_COUNT} + 1 : d.ord * ${LATENCY_BUCKET_COUNT}]`,
    ),
    from: `unnest(${arrayParams(first, ROLLUP_ARRAY_TYPES)}) WITH ORDINALITY AS d(${ROLLUP_COLUMNS.replace(', latency_histogram', '')}, ord)`,
  };
}

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
  const { select, from } = rollupSource(first);
  return `INSERT INTO usage_minute_rollups AS r (${ROLLUP_COLUMNS})
       SELECT ${select}
       FROM ${from}
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
  const { select, from } = rollupSource(first);
  return `INSERT INTO usage_rollup_deltas (${ROLLUP_COLUMNS}) SELECT ${select} FROM ${from}`;
}

/** The deltas as `rollupSource` reads them, in PostgreSQL's binary array format. */
function rollupArrays(deltas: readonly RollupDelta[]): Buffer[] {
  const histograms = new Array<number>(deltas.length * LATENCY_BUCKET_COUNT);
  deltas.forEach((d, row) => {
    for (let i = 0; i < LATENCY_BUCKET_COUNT; i++)
      histograms[row * LATENCY_BUCKET_COUNT + i] = d.latencyHistogram[i];
  });
  return [
    pgBinaryArray.uuid(deltas.map((d) => d.subscriptionId)),
    pgBinaryArray.timestamptz(deltas.map((d) => d.minute)),
    pgBinaryArray.uuid(deltas.map((d) => d.applicationId)),
    pgBinaryArray.uuid(deltas.map((d) => d.keyId)),
    pgBinaryArray.uuid(deltas.map((d) => d.apiId)),
    pgBinaryArray.uuid(deltas.map((d) => d.endpointId)),
    pgBinaryArray.uuid(deltas.map((d) => d.planId)),
    pgBinaryArray.int2(deltas.map((d) => d.statusClass)),
    pgBinaryArray.uuid(deltas.map((d) => d.consumerAccountId)),
    pgBinaryArray.varchar(deltas.map((d) => d.mode)),
    pgBinaryArray.int8(deltas.map((d) => d.calls)),
    pgBinaryArray.int8(deltas.map((d) => d.errors)),
    pgBinaryArray.int8(deltas.map((d) => d.bytesIn)),
    pgBinaryArray.int8(deltas.map((d) => d.bytesOut)),
    pgBinaryArray.int8(deltas.map((d) => d.billableUnits)),
    pgBinaryArray.int8(deltas.map((d) => d.overageUnits)),
    pgBinaryArray.int8(deltas.map((d) => d.latencyMsSum)),
    pgBinaryArray.int4(histograms),
  ];
}

/**
 * `applyFreshBatch`'s statement, prepared once per connection (node-postgres names it): parsing,
 * analysing and planning it again for every batch cost a tenth of PostgreSQL's time per call.
 * Parameters: batch id, events, calls, then `requestArrays`, then `rollupArrays`.
 */
const APPLY_FRESH_BATCH = {
  name: 'metering.apply-fresh-batch',
  text: `WITH ins AS (${requestLogInsert(1, 4)}),
     roll AS (${rollupUpsert(4 + REQUEST_ARRAYS)}),
     deltas AS (${rollupDeltasAppend(4 + REQUEST_ARRAYS)})
     INSERT INTO usage_batches (batch_id, events, counted)
     -- read by the minute rollups' trigger at the end of this statement: deltas appended above
     SELECT $1, $2, $3 WHERE set_config('metering.deltas_logged', 'on', true) = 'on'`,
};

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
   * rows it locks are released as soon as they are written. The request log and the batch row are
   * plain inserts: a request id stored before, or a batch id applied already, is a unique violation
   * that rolls the whole statement back, and the answer is then false, having changed nothing: the
   * caller applies the batch with `claimBatch` and friends. (An `ON CONFLICT DO NOTHING` with a
   * count of the rows written cost a second index probe per call and a tuplestore of them.) Never
   * inside a caller's transaction: the `metering.deltas_logged` it sets would then hide that
   * transaction's later minute-rollup writes from the delta trigger.
   */
  async applyFreshBatch(
    batchId: string,
    events: number,
    calls: readonly MeteredCall[],
    deltas: readonly RollupDelta[],
  ): Promise<boolean> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as PoolClient;
      await client.query({
        ...APPLY_FRESH_BATCH,
        values: [batchId, events, calls.length, ...requestArrays(calls), ...rollupArrays(deltas)],
      });
      return true;
    } catch (error) {
      if (isUniqueViolation(error, 'pk_usage_requests') || isUniqueViolation(error, 'pk_usage_batches'))
        return false;
      throw error;
    } finally {
      await runner.release();
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
      `${requestLogInsert(1, 2)} ON CONFLICT ON CONSTRAINT pk_usage_requests DO NOTHING RETURNING request_id`,
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
