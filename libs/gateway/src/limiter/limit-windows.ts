import { buildLimitHeaders, ceilSeconds, limitPolicy } from './limit-headers';
import type {
  LimitDecision,
  LimitScope,
  LimitWindowName,
  PeriodQuota,
  QuotaState,
  RateLimits,
  WindowState,
} from './limiter.types';

/** A rate limit with every window as a non-negative integer (0 = no such window). */
export interface NormalisedLimits {
  perSecond: number;
  burst: number;
  perMinute: number;
  perHour: number;
}

const positiveInt = (value: number | undefined): number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;

export function normaliseLimits(limits: RateLimits | undefined): NormalisedLimits {
  const perSecond = positiveInt(limits?.perSecond);
  return {
    perSecond,
    // burst only means something on top of a per-second rate
    burst: perSecond > 0 ? positiveInt(limits?.burst) : 0,
    perMinute: positiveInt(limits?.perMinute),
    perHour: positiveInt(limits?.perHour),
  };
}

export function hasAnyWindow(limits: NormalisedLimits): boolean {
  return limits.perSecond > 0 || limits.perMinute > 0 || limits.perHour > 0;
}

/** GCRA emission interval in µs (rounded down: at most 0.0003 % more permissive for odd rates). */
export function emissionIntervalMicros(perSecond: number): number {
  return Math.floor(1_000_000 / perSecond);
}

export const MINUTE_MICROS = 60_000_000;
export const HOUR_MICROS = 3_600_000_000;

/** Window slot order shared with the Lua script: plan s/m/h, then endpoint s/m/h. */
export const WINDOW_SLOTS: ReadonlyArray<{ scope: LimitScope; window: LimitWindowName }> = [
  { scope: 'plan', window: 'second' },
  { scope: 'plan', window: 'minute' },
  { scope: 'plan', window: 'hour' },
  { scope: 'endpoint', window: 'second' },
  { scope: 'endpoint', window: 'minute' },
  { scope: 'endpoint', window: 'hour' },
];

/** The advertised `q` / `w` of a slot, or null when the slot has no limit. */
export function slotPolicy(
  limits: NormalisedLimits,
  window: LimitWindowName,
): { limit: number; windowSeconds: number } | null {
  if (window === 'second') {
    if (limits.perSecond === 0) return null;
    const capacity = limits.perSecond + limits.burst;
    return { limit: capacity, windowSeconds: Math.max(1, Math.ceil(capacity / limits.perSecond)) };
  }
  if (window === 'minute')
    return limits.perMinute > 0 ? { limit: limits.perMinute, windowSeconds: 60 } : null;
  return limits.perHour > 0 ? { limit: limits.perHour, windowSeconds: 3600 } : null;
}

export function validWeight(weight: number): number {
  if (!Number.isSafeInteger(weight) || weight < 1)
    throw new TypeError(`weight must be a positive integer, got ${weight}`);
  return weight;
}

export function quotaLimitOf(quota: PeriodQuota): number | null {
  if (quota.limit === null) return null;
  if (!Number.isSafeInteger(quota.limit) || quota.limit < 0)
    throw new TypeError(`quota limit must be a non-negative integer or null, got ${quota.limit}`);
  return quota.limit;
}

/** Seconds from period start to end (the quota policy's `w`), when the start is known. */
function periodSecondsOf(quota: PeriodQuota): number | undefined {
  return quota.periodStartsAt === undefined
    ? undefined
    : Math.max(1, Math.round((quota.periodEndsAt - quota.periodStartsAt) / 1000));
}

export function quotaState(quota: PeriodQuota, limit: number, used: number, nowMs: number): QuotaState {
  const state: QuotaState = {
    limit,
    mode: quota.mode,
    periodKey: quota.periodKey,
    used,
    remaining: Math.max(0, limit - used),
    resetSeconds: ceilSeconds((quota.periodEndsAt - nowMs) * 1000),
  };
  const periodSeconds = periodSecondsOf(quota);
  if (periodSeconds !== undefined) state.periodSeconds = periodSeconds;
  return state;
}

/** A window a decision reports: its index in WINDOW_SLOTS (the script's reply order) and its advertised policy. */
export interface ShapedSlot {
  index: number;
  scope: LimitScope;
  window: LimitWindowName;
  limit: number;
  windowSeconds: number;
}

/**
 * What a decision's windows and headers look like, whatever the counts: the windows that exist and
 * the `RateLimit-Policy` value. It depends on the limits only, so the Redis limiter builds it once
 * per limit request (pipeline/limit-request.ts memoises those per cached subscription).
 */
export interface LimitShape {
  slots: readonly ShapedSlot[];
  /** `RateLimit-Policy` (the quota's part only when the quota is counted). */
  policy: string;
}

/** `quota`: the period quota when it is counted (a limit), else null. */
export function limitShape(
  plan: NormalisedLimits,
  endpoint: NormalisedLimits,
  quota: { limit: number; period: PeriodQuota } | null,
): LimitShape {
  const slots: ShapedSlot[] = [];
  WINDOW_SLOTS.forEach((slot, index) => {
    const policy = slotPolicy(slot.scope === 'plan' ? plan : endpoint, slot.window);
    if (policy) slots.push({ index, scope: slot.scope, window: slot.window, ...policy });
  });
  const quotaPolicy = quota && { limit: quota.limit, periodSeconds: periodSecondsOf(quota.period) };
  return { slots, policy: limitPolicy(slots, quotaPolicy) };
}

/** Per-slot raw outcome: remaining calls and µs until the window is full again. */
export interface SlotOutcome {
  remaining: number;
  resetMicros: number;
}

export interface RawDecision {
  allowed: boolean;
  reason: 'rate_limit_exceeded' | 'quota_exceeded' | null;
  /** Index into WINDOW_SLOTS of the window that rejected, or -1. */
  rejectingSlot: number;
  retryMicros: number;
  slots: SlotOutcome[];
  quota: QuotaState | null;
  overageUnits: number;
}

/** Turns the raw outcome of either limiter into the public decision with its headers. */
export function toDecision(
  shape: LimitShape,
  raw: RawDecision,
  source: LimitDecision['source'],
): LimitDecision {
  const windows: WindowState[] = [];
  let rejectedBy: { scope: LimitScope; window: LimitWindowName; limit: number } | undefined;
  for (const slot of shape.slots) {
    const outcome = raw.slots[slot.index];
    windows.push({
      scope: slot.scope,
      window: slot.window,
      limit: slot.limit,
      windowSeconds: slot.windowSeconds,
      remaining: Math.max(0, outcome.remaining),
      resetSeconds: ceilSeconds(outcome.resetMicros),
    });
    if (slot.index === raw.rejectingSlot)
      rejectedBy = { scope: slot.scope, window: slot.window, limit: slot.limit };
  }
  if (raw.allowed) {
    return {
      allowed: true,
      windows,
      quota: raw.quota,
      source,
      overageUnits: raw.overageUnits,
      headers: buildLimitHeaders(windows, raw.quota, undefined, shape.policy),
    };
  }
  const reason = raw.reason ?? 'rate_limit_exceeded';
  const retryAfterSeconds =
    reason === 'quota_exceeded' && raw.quota
      ? Math.max(1, raw.quota.resetSeconds)
      : Math.max(1, ceilSeconds(raw.retryMicros));
  return {
    allowed: false,
    reason,
    rejectedBy: reason === 'rate_limit_exceeded' ? rejectedBy : undefined,
    retryAfterSeconds,
    windows,
    quota: raw.quota,
    source,
    headers: buildLimitHeaders(windows, raw.quota, retryAfterSeconds, shape.policy),
  };
}
