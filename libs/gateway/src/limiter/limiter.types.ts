/**
 * Inputs and outputs of the gateway limiter (DESIGN §3 step 4). Plain data: the Redis limiter,
 * the in-process fallback and the header builder all speak these shapes.
 */

/** A rate limit, any subset (same shape as a plan's `rateLimit` in libs/catalog). Unset or ≤ 0 = no such window. */
export interface RateLimits {
  perSecond?: number;
  perMinute?: number;
  perHour?: number;
  /** Extra requests allowed above perSecond in a burst (token-bucket capacity = perSecond + burst). */
  burst?: number;
}

export type QuotaMode = 'hard' | 'soft';

/** The subscription's current quota period. */
export interface PeriodQuota {
  /** Billing units per period; null = unlimited (no counter is kept, no quota headers are sent). */
  limit: number | null;
  /** hard: a call that would go over is rejected with quota_exceeded; soft: allowed and reported as overage. */
  mode: QuotaMode;
  /** Identifies the period (e.g. the period start as ISO date); a new key starts a new counter. */
  periodKey: string;
  /** Epoch ms of the period start, for the `w` of the quota policy; optional. */
  periodStartsAt?: number;
  /** Epoch ms of the period end: X-Quota-Reset, Retry-After of quota_exceeded, and the counter's expiry. */
  periodEndsAt: number;
}

export interface LimitRequest {
  subscriptionId: string;
  /** The plan's rate limits for the subscription. */
  planLimits: RateLimits;
  /** The endpoint's own limit, counted per (subscription, endpoint) on top of the plan's. */
  endpointLimit?: { endpointId: string; limits: RateLimits };
  quota: PeriodQuota;
  /** Billing units this call costs (the endpoint weight, ≥ 1). Rate windows count calls, the quota counts units. */
  weight: number;
  /** A paid plan's hard quota fails closed when Redis is down (GATEWAY_PAID_QUOTA_FAIL_CLOSED). */
  paidPlan?: boolean;
}

export type LimitWindowName = 'second' | 'minute' | 'hour';
export type LimitScope = 'plan' | 'endpoint';

/** One rate window after the decision. */
export interface WindowState {
  scope: LimitScope;
  window: LimitWindowName;
  /** IETF `q`: calls per `windowSeconds` (for the per-second bucket: perSecond + burst). */
  limit: number;
  /** IETF `w`: the window length (for the per-second bucket: seconds to refill from empty, rounded up). */
  windowSeconds: number;
  /** Calls left after this one (or, on rejection, before it: nothing was consumed). */
  remaining: number;
  /** Seconds until the window is full again (rounded up). */
  resetSeconds: number;
}

export interface QuotaState {
  limit: number;
  mode: QuotaMode;
  periodKey: string;
  /** Units used in the period, this call included when it was allowed. */
  used: number;
  remaining: number;
  resetSeconds: number;
  /** Seconds from period start to end, when the start is known. */
  periodSeconds?: number;
}

/** Where the decision came from: Redis (exact across processes) or the per-process fallback. */
export type LimitSource = 'redis' | 'fallback' | 'none';

interface DecisionBase {
  windows: WindowState[];
  /** null when the quota is unlimited or unknown (fallback). */
  quota: QuotaState | null;
  source: LimitSource;
  /** RateLimit-Policy, RateLimit, X-RateLimit-*, X-Quota-* (and Retry-After on rejection); a fresh object per decision, which the pipeline extends with its own headers. */
  headers: Record<string, string>;
}

export interface AllowedDecision extends DecisionBase {
  allowed: true;
  /** Units of this call over a soft quota (0 when within the quota or hard). */
  overageUnits: number;
}

export interface RejectedDecision extends DecisionBase {
  allowed: false;
  reason: 'rate_limit_exceeded' | 'quota_exceeded';
  /** The window that rejected (rate_limit_exceeded), the one that frees up last when several did. */
  rejectedBy?: { scope: LimitScope; window: LimitWindowName; limit: number };
  retryAfterSeconds: number;
}

export type LimitDecision = AllowedDecision | RejectedDecision;
