import { compareCodeUnits, isUuid, usageBatchColumns, type UsageEvent } from '@app/common';
import { emptyHistogram, recordLatency, type LatencyHistogram } from './latency-histogram';

/** Stands for "none" in rollup key columns (a primary key column cannot be null): no subscription, API, plan or endpoint. */
export const NO_ID = '00000000-0000-0000-0000-000000000000';

const METHOD = /^[A-Z]{1,16}$/;
const MAX_UNITS = 1_000_000_000;

/** A usage event checked, with ids (request id included) lower-cased and fair metering applied. */
export interface MeteredCall {
  requestId: string;
  at: Date;
  /** `at` truncated to its UTC minute, in ms. */
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
  const at = new Date(atIso);
  const time = at.getTime();
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
    at,
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

/** The primary key of a rollup row, in the table's column order. */
export function rollupKey(
  d: Pick<
    RollupDelta,
    | 'subscriptionId'
    | 'minute'
    | 'applicationId'
    | 'keyId'
    | 'apiId'
    | 'endpointId'
    | 'planId'
    | 'statusClass'
  >,
): string {
  return `${d.subscriptionId}|${String(d.minute).padStart(15, '0')}|${d.applicationId}|${d.keyId}|${d.apiId}|${d.endpointId}|${d.planId}|${d.statusClass}`;
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
    let row = candidates.find(
      (r) =>
        r.subscriptionId === subscriptionId &&
        r.applicationId === call.applicationId &&
        r.apiId === apiId &&
        r.planId === planId,
    );
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
  return all
    .map((row): [string, RollupDelta] => [rollupKey(row), row])
    .sort(([a], [b]) => compareCodeUnits(a, b))
    .map(([, row]) => row);
}
