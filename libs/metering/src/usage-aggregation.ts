import { isUuid, usageBatchColumns, type UsageEvent } from '@app/common';
import { emptyHistogram, recordLatency, type LatencyHistogram } from './latency-histogram';

/** Stands for "none" in rollup key columns (a primary key column cannot be null): no subscription, API, plan or endpoint. */
export const NO_ID = '00000000-0000-0000-0000-000000000000';

const METHOD = /^[A-Z]{1,16}$/;
const MAX_UNITS = 1_000_000_000;

/** A usage event checked, with ids (request id included) lower-cased and fair metering applied. */
export interface MeteredCall {
  requestId: string;
  /** When the call was made, in Unix ms. */
  atMs: number;
  /** `atMs` truncated to its UTC minute. */
  minute: number;
  keyId: string;
  keyPrefix: string;
  applicationId: string;
  consumerAccountId: string;
  apiId: string | null;
  subscriptionId: string | null;
  planId: string | null;
  endpointId: string | null;
  method: string;
  status: number;
  latencyMs: number;
  bytesIn: number;
  bytesOut: number;
  mode: 'live' | 'test';
  generated: boolean;
  errorCode: string | null;
  /** After fair metering: what billing counts. */
  billableUnits: number;
  overageUnits: number;
}

/**
 * Fair metering (issue 5): test calls, upstream answers ≥ 500 and responses the gateway generated
 * itself (rejections, timeouts, mocks) cost nothing, whatever the event says. Otherwise the
 * gateway's units (endpoint weight or `X-Portico-Billing-Units`) count, and the overage never
 * exceeds them.
 */
export function billedUnits(
  event: Pick<UsageEvent, 'mode' | 'status' | 'generated' | 'billableUnits' | 'overageUnits'>,
): {
  billableUnits: number;
  overageUnits: number;
} {
  if (event.mode !== 'live' || event.generated || event.status >= 500)
    return { billableUnits: 0, overageUnits: 0 };
  const billableUnits = event.billableUnits;
  return { billableUnits, overageUnits: Math.min(event.overageUnits, billableUnits) };
}

/**
 * UUIDs seen valid lately: a batch repeats its callers' ids on every call (the same strings), and
 * a set lookup costs a fraction of the pattern test. Bounded; emptied when full.
 */
const validUuids = new Set<string>();
const VALID_UUIDS_KEPT = 10_000;

/** libs/common's `isUuid`, remembered for the strings it accepted. */
function checkedUuid(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (validUuids.has(value)) return true;
  if (!isUuid(value)) return false;
  if (validUuids.size >= VALID_UUIDS_KEPT) validUuids.clear();
  validUuids.add(value);
  return true;
}

/** The number in `count` decimal digits of `value` from `from`; -1 when one is not a digit. */
function digits(value: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/**
 * An instant as `Date` parses it, in Unix ms (NaN: unparsable). The gateway's form,
 * `toISOString()`'s `YYYY-MM-DDTHH:mm:ss.sssZ`, is read by hand: `Date`'s parser took ~150 ns a
 * call, once for every call the worker applies. Anything else (other forms, and the corners where
 * `Date` rolls over, such as hour 24 or years before 100) goes to `Date`.
 */
export function isoInstantMs(value: string): number {
  if (
    value.length === 24 &&
    value.charCodeAt(4) === 45 && // -
    value.charCodeAt(7) === 45 &&
    value.charCodeAt(10) === 84 && // T
    value.charCodeAt(13) === 58 && // :
    value.charCodeAt(16) === 58 &&
    value.charCodeAt(19) === 46 && // .
    value.charCodeAt(23) === 90 // Z
  ) {
    const year = digits(value, 0, 4);
    const month = digits(value, 5, 2);
    const day = digits(value, 8, 2);
    const hour = digits(value, 11, 2);
    const minute = digits(value, 14, 2);
    const second = digits(value, 17, 2);
    const ms = digits(value, 20, 3);
    if (
      year >= 100 &&
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      day <= 31 &&
      hour >= 0 &&
      hour <= 23 &&
      minute >= 0 &&
      minute <= 59 &&
      second >= 0 &&
      second <= 59 &&
      ms >= 0
    )
      // a day past the month's end rolls over into the next month, as Date's parser does
      return Date.UTC(year, month - 1, day, hour, minute, second, ms);
  }
  return new Date(value).getTime();
}

const isCount = (value: unknown, max = Number.MAX_SAFE_INTEGER): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;

const optionalUuid = (value: unknown): value is string | null => value === null || checkedUuid(value);

const lower = (value: string | null): string | null => (value === null ? null : value.toLowerCase());

/** Who made a call, checked, ids lower-cased: one per caller of a columnar batch, shared by its calls. */
type CheckedCaller = Pick<
  MeteredCall,
  | 'keyId'
  | 'keyPrefix'
  | 'applicationId'
  | 'consumerAccountId'
  | 'apiId'
  | 'subscriptionId'
  | 'planId'
  | 'mode'
>;

function checkedCaller(
  keyId: unknown,
  keyPrefix: unknown,
  applicationId: unknown,
  consumerAccountId: unknown,
  apiId: unknown,
  subscriptionId: unknown,
  planId: unknown,
  mode: unknown,
): CheckedCaller | null {
  if (!checkedUuid(keyId) || !checkedUuid(applicationId) || !checkedUuid(consumerAccountId)) return null;
  if (!optionalUuid(apiId) || !optionalUuid(subscriptionId) || !optionalUuid(planId)) return null;
  if (typeof keyPrefix !== 'string' || keyPrefix.length > 32) return null;
  if (mode !== 'live' && mode !== 'test') return null;
  return {
    keyId: keyId.toLowerCase(),
    keyPrefix,
    applicationId: applicationId.toLowerCase(),
    consumerAccountId: consumerAccountId.toLowerCase(),
    apiId: lower(apiId),
    subscriptionId: lower(subscriptionId),
    planId: lower(planId),
    mode,
  };
}

/** A call of a checked caller and endpoint (lower-cased), its own fields checked; null when one is malformed. */
function checkedCall(
  caller: CheckedCaller,
  endpointId: string | null,
  requestId: unknown,
  atIso: unknown,
  method: unknown,
  status: unknown,
  latencyMs: unknown,
  bytesIn: unknown,
  bytesOut: unknown,
  billableUnits: unknown,
  overageUnits: unknown,
  generated: unknown,
  errorCode: unknown,
): MeteredCall | null {
  // a UUID, as the gateway mints them (UUIDv7); not remembered like the callers' ids: each is new
  if (typeof requestId !== 'string' || !isUuid(requestId)) return null;
  if (typeof atIso !== 'string') return null;
  const time = isoInstantMs(atIso);
  if (Number.isNaN(time)) return null;
  if (typeof method !== 'string' || !METHOD.test(method)) return null;
  if (!isCount(status) || status < 100 || status > 599) return null;
  if (typeof latencyMs !== 'number' || !Number.isFinite(latencyMs) || latencyMs < 0) return null;
  if (!isCount(bytesIn) || !isCount(bytesOut)) return null;
  if (!isCount(billableUnits, MAX_UNITS) || !isCount(overageUnits, MAX_UNITS)) return null;
  if (typeof generated !== 'boolean') return null;
  if (errorCode !== null && (typeof errorCode !== 'string' || errorCode.length > 64)) return null;
  const billed = billedUnits({ mode: caller.mode, status, generated, billableUnits, overageUnits });
  return {
    requestId: requestId.toLowerCase(),
    atMs: time,
    minute: time - (((time % 60_000) + 60_000) % 60_000),
    keyId: caller.keyId,
    keyPrefix: caller.keyPrefix,
    applicationId: caller.applicationId,
    consumerAccountId: caller.consumerAccountId,
    apiId: caller.apiId,
    subscriptionId: caller.subscriptionId,
    planId: caller.planId,
    endpointId,
    method,
    status,
    latencyMs: Math.round(latencyMs),
    bytesIn,
    bytesOut,
    mode: caller.mode,
    generated,
    errorCode,
    billableUnits: billed.billableUnits,
    overageUnits: billed.overageUnits,
  };
}

/**
 * Checks one event from a batch; null when it cannot be stored (a malformed event must not make
 * its whole batch fail forever). Latency is rounded to whole ms.
 */
export function meteredCall(raw: unknown): MeteredCall | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const e = raw as Partial<Record<keyof UsageEvent, unknown>>;
  const caller = checkedCaller(
    e.keyId,
    e.keyPrefix,
    e.applicationId,
    e.consumerAccountId,
    e.apiId,
    e.subscriptionId,
    e.planId,
    e.mode,
  );
  if (caller === null || !optionalUuid(e.endpointId)) return null;
  return checkedCall(
    caller,
    lower(e.endpointId),
    e.requestId,
    e.at,
    e.method,
    e.status,
    e.latencyMs,
    e.bytesIn,
    e.bytesOut,
    e.billableUnits,
    e.overageUnits,
    e.generated,
    e.errorCode,
  );
}

const isIndex = (value: unknown, of: readonly unknown[]): value is number =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) < of.length;

/**
 * The calls of a usage batch payload checked (`meteredCall`'s rules; null for a call that cannot be
 * stored), in payload order; null when the payload has no readable calls. Columnar payloads
 * (`UsageCalls`) are checked without an object per call: each caller and endpoint once.
 */
export function meteredCalls(payload: unknown): (MeteredCall | null)[] | null {
  const events = (payload as { events?: unknown } | null)?.events;
  if (Array.isArray(events)) return events.map(meteredCall);
  const columns = usageBatchColumns(payload);
  if (columns === null) return null;
  const callers = columns.callers.map((c: unknown) =>
    Array.isArray(c) ? checkedCaller(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]) : null,
  );
  // undefined: malformed (null is "no endpoint")
  const endpoints = columns.endpoints.map((id: unknown) => (optionalUuid(id) ? lower(id) : undefined));
  const out = new Array<MeteredCall | null>(columns.requestId.length);
  for (let i = 0; i < out.length; i++) {
    const caller = isIndex(columns.caller[i], callers) ? callers[columns.caller[i]] : null;
    const endpoint = isIndex(columns.endpoint[i], endpoints) ? endpoints[columns.endpoint[i]] : undefined;
    const generated = columns.generated[i];
    out[i] =
      caller && endpoint !== undefined
        ? checkedCall(
            caller,
            endpoint,
            columns.requestId[i],
            columns.at[i],
            columns.method[i],
            columns.status[i],
            columns.latencyMs[i],
            columns.bytesIn[i],
            columns.bytesOut[i],
            columns.billableUnits[i],
            columns.overageUnits[i],
            generated === 1 ? true : generated === 0 ? false : generated,
            columns.errorCode[i],
          )
        : null;
  }
  return out;
}

/** One row of `usage_minute_rollups` to add (its key, then the counts). */
export interface RollupDelta {
  subscriptionId: string;
  minute: number;
  applicationId: string;
  keyId: string;
  apiId: string;
  endpointId: string;
  planId: string;
  statusClass: number;
  consumerAccountId: string;
  mode: 'live' | 'test';
  calls: number;
  errors: number;
  bytesIn: number;
  bytesOut: number;
  billableUnits: number;
  overageUnits: number;
  latencyMsSum: number;
  latencyHistogram: LatencyHistogram;
}

/** A rollup row's primary key columns, in the table's column order. */
type RollupKey = Pick<
  RollupDelta,
  'subscriptionId' | 'minute' | 'applicationId' | 'keyId' | 'apiId' | 'endpointId' | 'planId' | 'statusClass'
>;

/** Code-unit order of two ids; the same string object (the usual case in a batch) compares at once. */
const compareIds = (a: string, b: string): number => (a === b ? 0 : a < b ? -1 : 1);

/**
 * Orders rollup rows by primary key, column by column (ids in code-unit order: PostgreSQL's order
 * of lower-case uuids). No key string per row: building and comparing those cost more than the
 * rest of the aggregation.
 */
export function compareRollupKeys(a: RollupKey, b: RollupKey): number {
  return (
    compareIds(a.subscriptionId, b.subscriptionId) ||
    a.minute - b.minute ||
    compareIds(a.applicationId, b.applicationId) ||
    compareIds(a.keyId, b.keyId) ||
    compareIds(a.apiId, b.apiId) ||
    compareIds(a.endpointId, b.endpointId) ||
    compareIds(a.planId, b.planId) ||
    a.statusClass - b.statusClass
  );
}

/**
 * Pre-aggregates calls into one delta per rollup row, sorted by primary key: concurrent batches
 * then lock shared rows in the same order and cannot deadlock (STACK: performance facts).
 * An "error" is a call answered with status ≥ 400 (the status class tells 4xx from 5xx).
 */
export function aggregateCalls(calls: readonly MeteredCall[]): RollupDelta[] {
  // rows found by key id → endpoint → minute and status class, then the rest of the key compared:
  // a batch's calls share their id strings, so these lookups hash nothing new (a key string
  // per call cost more than the rest of the aggregation)
  const rows = new Map<string, Map<string, Map<number, RollupDelta[]>>>();
  const all: RollupDelta[] = [];
  for (const call of calls) {
    const subscriptionId = call.subscriptionId ?? NO_ID;
    const apiId = call.apiId ?? NO_ID;
    const endpointId = call.endpointId ?? NO_ID;
    const planId = call.planId ?? NO_ID;
    const statusClass = Math.floor(call.status / 100);
    let byEndpoint = rows.get(call.keyId);
    if (!byEndpoint) rows.set(call.keyId, (byEndpoint = new Map<string, Map<number, RollupDelta[]>>()));
    let byTime = byEndpoint.get(endpointId);
    if (!byTime) byEndpoint.set(endpointId, (byTime = new Map<number, RollupDelta[]>()));
    const time = call.minute * 10 + statusClass;
    let candidates = byTime.get(time);
    if (!candidates) byTime.set(time, (candidates = []));
    let row: RollupDelta | undefined;
    for (const candidate of candidates)
      if (
        candidate.subscriptionId === subscriptionId &&
        candidate.applicationId === call.applicationId &&
        candidate.apiId === apiId &&
        candidate.planId === planId
      ) {
        row = candidate;
        break;
      }
    if (!row) {
      // one literal with every field: built as `{ ...key, more }`, a row cost ~8 µs (V8 slow path)
      row = {
        subscriptionId,
        minute: call.minute,
        applicationId: call.applicationId,
        keyId: call.keyId,
        apiId,
        endpointId,
        planId,
        statusClass,
        consumerAccountId: call.consumerAccountId,
        mode: call.mode,
        calls: 0,
        errors: 0,
        bytesIn: 0,
        bytesOut: 0,
        billableUnits: 0,
        overageUnits: 0,
        latencyMsSum: 0,
        latencyHistogram: emptyHistogram(),
      };
      candidates.push(row);
      all.push(row);
    }
    row.calls += 1;
    if (call.status >= 400) row.errors += 1;
    row.bytesIn += call.bytesIn;
    row.bytesOut += call.bytesOut;
    row.billableUnits += call.billableUnits;
    row.overageUnits += call.overageUnits;
    row.latencyMsSum += call.latencyMs;
    recordLatency(row.latencyHistogram, call.latencyMs);
  }
  return all.sort(compareRollupKeys);
}
