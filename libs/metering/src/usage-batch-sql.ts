import { compareCodeUnits, pgBinaryArray, type PreparedStatement } from '@app/common';
import { LATENCY_BUCKET_COUNT } from './latency-histogram';
import { NO_ID, type MeteredCall, type RollupDelta } from './usage-aggregation';

/**
 * The statements that write a usage batch (request log, minute rollups, their hour/day deltas) and
 * their parameters. Every multi-row write is ONE statement fed by arrays sent in PostgreSQL's
 * binary format (`pgBinaryArray`): parsing their text form was about a fifth of the server's time
 * per batch. The ids a batch repeats on every call (who called: consumer, application, key, API,
 * subscription, plan; and the endpoint) are sent once each (`BatchIds`) and read by index.
 */

/** `$first, $first+1, …` typed as the given array types. */
const arrayParams = (first: number, types: readonly string[]): string =>
  types.map((type, i) => `$${first + i}::${type}[]`).join(', ');

/**
 * The arrays of `BatchIds.arrays`, in order: the callers' columns and the endpoints, the plans last
 * (the request log does not store them: its statements take only the arrays before).
 */
const ID_COLUMNS = [
  'consumer_account_id',
  'application_id',
  'key_id',
  'api_id',
  'subscription_id',
  'endpoint_id',
  'plan_id',
] as const;

/** The distinct callers and endpoints of a batch, which request-log and rollup rows reference by index (1-based). */
export class BatchIds {
  /** Parameters it adds to a statement (`arrays`). */
  static readonly ARRAYS = ID_COLUMNS.length;
  /** Parameters it adds to a request-log statement (`arrays(false)`). */
  static readonly REQUEST_ARRAYS = ID_COLUMNS.length - 1;

  // the callers' columns; "none" is NO_ID, as in the rollups' key
  private readonly consumers: string[] = [];
  private readonly applications: string[] = [];
  private readonly keys: string[] = [];
  private readonly apis: string[] = [];
  private readonly subscriptions: string[] = [];
  private readonly plans: string[] = [];
  /** Caller indexes by key id (nearly always one). */
  private readonly byKey = new Map<string, number[]>();
  private readonly endpoints: string[] = [];
  private readonly endpointIndex = new Map<string, number>();

  /** The 1-based index of the caller of `c` (a call, or a rollup row with NO_ID for "none"). */
  caller(
    c: Pick<MeteredCall, 'consumerAccountId' | 'applicationId' | 'keyId'> & {
      apiId: string | null;
      subscriptionId: string | null;
      planId: string | null;
    },
  ): number {
    const api = c.apiId ?? NO_ID;
    const subscription = c.subscriptionId ?? NO_ID;
    const plan = c.planId ?? NO_ID;
    let candidates = this.byKey.get(c.keyId);
    if (candidates === undefined) {
      candidates = [];
      this.byKey.set(c.keyId, candidates);
    }
    for (const i of candidates) {
      if (
        this.applications[i] === c.applicationId &&
        this.consumers[i] === c.consumerAccountId &&
        this.apis[i] === api &&
        this.subscriptions[i] === subscription &&
        this.plans[i] === plan
      )
        return i + 1;
    }
    candidates.push(this.keys.length);
    this.consumers.push(c.consumerAccountId);
    this.applications.push(c.applicationId);
    this.apis.push(api);
    this.subscriptions.push(subscription);
    this.plans.push(plan);
    return this.keys.push(c.keyId);
  }

  /** The 1-based index of an endpoint (null: none). */
  endpoint(endpointId: string | null): number {
    const id = endpointId ?? NO_ID;
    let index = this.endpointIndex.get(id);
    if (index === undefined) {
      index = this.endpoints.push(id);
      this.endpointIndex.set(id, index);
    }
    return index;
  }

  /** The ids in ID_COLUMNS order; without the plans for a request-log statement. */
  arrays(withPlans = true): Buffer[] {
    const columns = [
      this.consumers,
      this.applications,
      this.keys,
      this.apis,
      this.subscriptions,
      this.endpoints,
    ];
    if (withPlans) columns.push(this.plans);
    return columns.map((column) => pgBinaryArray.uuid(column));
  }
}

/** SQL reading id `column` at the index in SQL `index`, the ids given from `$ids` on (`BatchIds.arrays`). */
function idOf(ids: number, column: (typeof ID_COLUMNS)[number], index: string): string {
  return `($${ids + ID_COLUMNS.indexOf(column)}::uuid[])[${index}]`;
}

/** The request log's own columns (per call), in `requestArrays` order and types. */
const REQUEST_COLUMNS =
  'request_id at caller endpoint key_prefix method status latency_ms bytes_in bytes_out mode billable_units generated error_code'.split(
    ' ',
  );
const REQUEST_TYPES =
  'uuid timestamptz int4 int4 varchar varchar int2 int4 int8 int8 varchar int4 bool varchar'.split(' ');
const REQUEST_ARRAYS = REQUEST_COLUMNS.length;

/** Where a request-log row's batch id comes from: one batch id in `$n`, or per call (an index into `$n`, the batches' ids, in the array after the calls'). */
type RequestBatch = { single: number } | { indexed: number };

/**
 * Inserts the request-log rows given as arrays from `$first` on (see `requestArrays`; their
 * callers and endpoints from `$ids` on, see `BatchIds`), in the given order.
 */
function requestLogInsert(batch: RequestBatch, ids: number, first: number): string {
  const none = (sql: string) => `nullif(${sql}, '${NO_ID}')`;
  const [batchId, columns, types] =
    'single' in batch
      ? [`$${batch.single}`, REQUEST_COLUMNS, REQUEST_TYPES]
      : [`($${batch.indexed}::uuid[])[c.batch]`, [...REQUEST_COLUMNS, 'batch'], [...REQUEST_TYPES, 'int4']];
  return `INSERT INTO usage_requests (request_id, at, batch_id, consumer_account_id, application_id, key_id, key_prefix,
         api_id, subscription_id, endpoint_id, method, status, latency_ms, bytes_in, bytes_out, mode, billable_units,
         generated, error_code)
       SELECT c.request_id, c.at, ${batchId}, ${idOf(ids, 'consumer_account_id', 'c.caller')},
         ${idOf(ids, 'application_id', 'c.caller')}, ${idOf(ids, 'key_id', 'c.caller')}, c.key_prefix,
         ${none(idOf(ids, 'api_id', 'c.caller'))}, ${none(idOf(ids, 'subscription_id', 'c.caller'))},
         ${none(idOf(ids, 'endpoint_id', 'c.endpoint'))}, c.method, c.status, c.latency_ms, c.bytes_in, c.bytes_out,
         c.mode, c.billable_units, c.generated, c.error_code
       FROM unnest(${arrayParams(first, types)}) WITH ORDINALITY AS c(${columns.join(', ')}, ord)
       ORDER BY c.ord`;
}

/** The calls' request-log columns (their ids indexed into `ids`). */
function requestArrays(calls: readonly MeteredCall[], ids: BatchIds): Buffer[] {
  return [
    pgBinaryArray.uuid(calls.map((c) => c.requestId)),
    pgBinaryArray.timestamptz(calls.map((c) => c.atMs)),
    pgBinaryArray.int4(calls.map((c) => ids.caller(c))),
    pgBinaryArray.int4(calls.map((c) => ids.endpoint(c.endpointId))),
    pgBinaryArray.varchar(calls.map((c) => c.keyPrefix)),
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

/** The minute rollups' columns. */
const ROLLUP_COLUMNS =
  'subscription_id, minute, application_id, key_id, api_id, endpoint_id, plan_id, status_class, consumer_account_id, ' +
  'mode, calls, errors, bytes_in, bytes_out, billable_units, overage_units, latency_ms_sum, latency_histogram';

/** A rollup row's own columns (per row), in `rollupArrays` order and types, then ONE flat int4 array of histograms. */
const DELTA_COLUMNS =
  'caller endpoint minute status_class mode calls errors bytes_in bytes_out billable_units overage_units latency_ms_sum'.split(
    ' ',
  );
const DELTA_TYPES = 'int4 int4 timestamptz int2 varchar int8 int8 int8 int8 int8 int8 int8'.split(' ');

/**
 * `SELECT … FROM …` of the rollup rows given as arrays from `$first` on (see `rollupArrays`; their
 * callers and endpoints from `$ids` on): each row's histogram is its slice of the flat array.
 */
function rollupRows(ids: number, first: number): string {
  const histograms = `($${first + DELTA_COLUMNS.length}::int4[])`;
  return `SELECT ${idOf(ids, 'subscription_id', 'd.caller')}, d.minute, ${idOf(ids, 'application_id', 'd.caller')},
         ${idOf(ids, 'key_id', 'd.caller')}, ${idOf(ids, 'api_id', 'd.caller')}, ${idOf(ids, 'endpoint_id', 'd.endpoint')},
         ${idOf(ids, 'plan_id', 'd.caller')}, d.status_class, ${idOf(ids, 'consumer_account_id', 'd.caller')}, d.mode,
         d.calls, d.errors, d.bytes_in, d.bytes_out, d.billable_units, d.overage_units, d.latency_ms_sum,
         ${histograms}[(d.ord - 1) * ${LATENCY_BUCKET_COUNT} + 1 : d.ord * ${LATENCY_BUCKET_COUNT}]
       FROM unnest(${arrayParams(first, DELTA_TYPES)}) WITH ORDINALITY AS d(${DELTA_COLUMNS.join(', ')}, ord)`;
}

/**
 * The stored histogram plus the batch's, bucket by bucket, as one array constructor: an
 * `unnest … WITH ORDINALITY` subquery per updated row cost about 6 µs a row more.
 */
const HISTOGRAM_SUM = `ARRAY[${Array.from(
  { length: LATENCY_BUCKET_COUNT },
  (_, i) => `coalesce(r.latency_histogram[${i + 1}], 0) + coalesce(EXCLUDED.latency_histogram[${i + 1}], 0)`,
).join(', ')}]`;

/** Adds the rollup rows given as arrays (see `rollupRows`), locking rows in the given order. */
function rollupUpsert(ids: number, first: number): string {
  return `INSERT INTO usage_minute_rollups AS r (${ROLLUP_COLUMNS})
       ${rollupRows(ids, first)}
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
 * Appends the same rows to `usage_rollup_deltas`, which the hour/day fold reads: for a writer that
 * sets `metering.deltas_logged` so the trigger on the minute rollups does not log them again.
 */
function rollupDeltasAppend(ids: number, first: number): string {
  return `INSERT INTO usage_rollup_deltas (${ROLLUP_COLUMNS}) ${rollupRows(ids, first)}`;
}

/** The deltas as `rollupRows` reads them (their ids indexed into `ids`). */
function rollupArrays(deltas: readonly RollupDelta[], ids: BatchIds): Buffer[] {
  const histograms = new Array<number>(deltas.length * LATENCY_BUCKET_COUNT);
  deltas.forEach((d, row) => {
    for (let i = 0; i < LATENCY_BUCKET_COUNT; i++)
      histograms[row * LATENCY_BUCKET_COUNT + i] = d.latencyHistogram[i];
  });
  return [
    pgBinaryArray.int4(deltas.map((d) => ids.caller(d))),
    pgBinaryArray.int4(deltas.map((d) => ids.endpoint(d.endpointId))),
    pgBinaryArray.timestamptz(deltas.map((d) => d.minute)),
    pgBinaryArray.int2(deltas.map((d) => d.statusClass)),
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

/** Parameters of `APPLY_FRESH_BATCH`: the batches' ids, events and counts; the calls' ids; request-log rows (and their batches); rollup rows. */
const IDS = 4;
const REQUESTS = IDS + BatchIds.ARRAYS;
const ROLLUPS = REQUESTS + REQUEST_ARRAYS + 1;

/**
 * The fast path's ONE statement (libs/metering README "Invariants"), for one batch or a group of
 * them (`FreshBatch`), prepared once per connection (node-postgres names it): parsing, analysing
 * and planning it again for every batch cost a tenth of PostgreSQL's time per call. The request
 * log and the batch rows are plain inserts: a request id or batch id seen before is a unique
 * violation that rolls it all back.
 *
 * PostgreSQL runs the main query first, then the WITH sub-statements that it does not read, LAST
 * listed first: batch rows, request log, deltas, and the rollup upsert at the end. So the shared
 * rollup rows are locked only for the upsert and the commit, and a concurrent group waiting for
 * them has written the rest of its statement meanwhile (tested: "locks the rollup rows last").
 */
export const APPLY_FRESH_BATCH: PreparedStatement = {
  name: 'metering.apply-fresh-batch',
  text: `WITH roll AS (${rollupUpsert(IDS, ROLLUPS)}),
     deltas AS (${rollupDeltasAppend(IDS, ROLLUPS)}),
     ins AS (${requestLogInsert({ indexed: 1 }, IDS, REQUESTS)})
     INSERT INTO usage_batches (batch_id, events, counted)
     SELECT b.batch_id, b.events, b.counted FROM unnest($1::uuid[], $2::int4[], $3::int4[]) AS b(batch_id, events, counted)
     -- read by the minute rollups' trigger: this statement appends their deltas itself (deltas)
     WHERE set_config('metering.deltas_logged', 'on', true) = 'on'`,
};

/** A batch of `APPLY_FRESH_BATCH`: its id, its events, and the calls it counts (their request ids new, sorted). */
export interface FreshBatch {
  batchId: string;
  events: number;
  calls: readonly MeteredCall[];
}

/** `APPLY_FRESH_BATCH`'s parameters: the batches (their calls disjoint) and the rollup rows of all their calls. */
export function applyFreshBatchValues(
  given: readonly FreshBatch[],
  deltas: readonly RollupDelta[],
): unknown[] {
  // batch rows in id order too: two statements that both hold the same two batches insert them alike
  const batches = [...given].sort((a, b) => compareCodeUnits(a.batchId, b.batchId));
  const [calls, batchOfCall] = inRequestIdOrder(batches);
  const ids = new BatchIds();
  const requests = requestArrays(calls, ids);
  const rollups = rollupArrays(deltas, ids);
  return [
    pgBinaryArray.uuid(batches.map((b) => b.batchId)),
    pgBinaryArray.int4(batches.map((b) => b.events)),
    pgBinaryArray.int4(batches.map((b) => b.calls.length)),
    ...ids.arrays(),
    ...requests,
    pgBinaryArray.int4(batchOfCall),
    ...rollups,
  ];
}

/**
 * The batches' calls merged in request-id order (each batch's are sorted), so that concurrent
 * statements insert shared request ids in one order, and the 1-based batch of each.
 */
function inRequestIdOrder(batches: readonly FreshBatch[]): [readonly MeteredCall[], number[]] {
  if (batches.length === 1) return [batches[0].calls, batches[0].calls.map(() => 1)];
  const tagged = batches.flatMap((b, i) => b.calls.map((call) => ({ call, batch: i + 1 })));
  tagged.sort((a, b) => compareCodeUnits(a.call.requestId, b.call.requestId));
  return [tagged.map((t) => t.call), tagged.map((t) => t.batch)];
}

/**
 * The careful path's request-log insert (a batch applied again, or overlapping another): batch id
 * in $1, the batch's ids, the calls; answers the request ids that were new (one stored before, by
 * this batch or another, is skipped).
 */
export const INSERT_NEW_REQUESTS: PreparedStatement = {
  name: 'metering.insert-new-requests',
  text: `${requestLogInsert({ single: 1 }, 2, 2 + BatchIds.REQUEST_ARRAYS)} ON CONFLICT ON CONSTRAINT pk_usage_requests DO NOTHING RETURNING request_id`,
};

/** `INSERT_NEW_REQUESTS`'s parameters. */
export function insertNewRequestsValues(batchId: string, calls: readonly MeteredCall[]): unknown[] {
  const ids = new BatchIds();
  const requests = requestArrays(calls, ids);
  return [batchId, ...ids.arrays(false), ...requests];
}

/** Adds rollup rows (the careful path's, and the benchmark's rollups-only shape): the batch's ids, then the rows. */
export const ADD_TO_ROLLUPS: PreparedStatement = {
  name: 'metering.add-to-rollups',
  text: rollupUpsert(1, 1 + BatchIds.ARRAYS),
};

/** `ADD_TO_ROLLUPS`'s parameters. */
export function addToRollupsValues(deltas: readonly RollupDelta[]): unknown[] {
  const ids = new BatchIds();
  const rollups = rollupArrays(deltas, ids);
  return [...ids.arrays(), ...rollups];
}
