import { AppError } from '@app/common';
import type { QuotaState, RejectedDecision, WindowState } from './limiter.types';

/**
 * Response headers of a limit decision (DESIGN §3 step 6).
 *
 * IETF pair, syntax of draft-ietf-httpapi-ratelimit-headers-08 through -10 (Structured Field
 * Lists of String items with parameters):
 *   RateLimit-Policy: "second";q=15;w=2, "minute";q=600;w=60, "quota";q=10000;w=2592000
 *   RateLimit: "second";r=14;t=1, "minute";r=599;t=37, "quota";r=9999;t=1209600
 * Policy names: second | minute | hour for the plan's windows, endpoint-second | endpoint-minute |
 * endpoint-hour for the endpoint's own limit, quota for the period quota (in billing units, so no
 * `qu`; `w` only when the period start is known).
 *
 * Legacy trio for the tightest window (fewest calls left; on a tie the one that resets last):
 * X-RateLimit-Limit / X-RateLimit-Remaining / X-RateLimit-Reset (delta seconds, like `t`).
 * X-Quota-Limit / X-Quota-Remaining / X-Quota-Reset (delta seconds to the period end) when the
 * quota has a limit. Retry-After (delta seconds, ≥ 1) on a rejection.
 */
export function policyName(window: Pick<WindowState, 'scope' | 'window'>): string {
  return window.scope === 'plan' ? window.window : `endpoint-${window.window}`;
}

export function tightestWindow(windows: readonly WindowState[]): WindowState | undefined {
  let best: WindowState | undefined;
  for (const w of windows) {
    if (
      !best ||
      w.remaining < best.remaining ||
      (w.remaining === best.remaining && w.resetSeconds > best.resetSeconds)
    )
      best = w;
  }
  return best;
}

/**
 * `RateLimit-Policy` of these windows and quota ('' when there is none). It depends on the limits
 * only, never on the counts, so the Redis limiter builds it once per limit request.
 */
export function limitPolicy(
  windows: readonly Pick<WindowState, 'scope' | 'window' | 'limit' | 'windowSeconds'>[],
  quota: Pick<QuotaState, 'limit' | 'periodSeconds'> | null,
): string {
  const policies: string[] = [];
  for (const w of windows) policies.push(`"${policyName(w)}";q=${w.limit};w=${w.windowSeconds}`);
  if (quota) {
    policies.push(
      quota.periodSeconds !== undefined
        ? `"quota";q=${quota.limit};w=${quota.periodSeconds}`
        : `"quota";q=${quota.limit}`,
    );
  }
  return policies.join(', ');
}

/** Every limit header of a decision; `policy` is `limitPolicy(windows, quota)`, passed in when already built. */
export function buildLimitHeaders(
  windows: readonly WindowState[],
  quota: QuotaState | null,
  retryAfterSeconds?: number,
  policy: string = limitPolicy(windows, quota),
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (policy !== '') {
    let states = '';
    for (const w of windows)
      states += `${states === '' ? '' : ', '}"${policyName(w)}";r=${w.remaining};t=${w.resetSeconds}`;
    if (quota) states += `${states === '' ? '' : ', '}"quota";r=${quota.remaining};t=${quota.resetSeconds}`;
    headers['RateLimit-Policy'] = policy;
    headers['RateLimit'] = states;
  }
  const tightest = tightestWindow(windows);
  if (tightest) {
    headers['X-RateLimit-Limit'] = String(tightest.limit);
    headers['X-RateLimit-Remaining'] = String(tightest.remaining);
    headers['X-RateLimit-Reset'] = String(tightest.resetSeconds);
  }
  if (quota) {
    headers['X-Quota-Limit'] = String(quota.limit);
    headers['X-Quota-Remaining'] = String(quota.remaining);
    headers['X-Quota-Reset'] = String(quota.resetSeconds);
  }
  if (retryAfterSeconds !== undefined) headers['Retry-After'] = String(retryAfterSeconds);
  return headers;
}

/** Seconds, rounded up, never negative. */
export function ceilSeconds(micros: number): number {
  return micros <= 0 ? 0 : Math.ceil(micros / 1_000_000);
}

const WINDOW_WORDS = { second: 'second', minute: 'minute', hour: 'hour' } as const;

export interface RejectionContext {
  /** The plan's display name, for quota_exceeded. */
  planName?: string;
  /** Where the consumer can pick a bigger plan. */
  upgradeUrl?: string;
}

/** The DESIGN §4 error for a rejected decision, carrying every limit header and Retry-After. */
export function limitRejectionError(decision: RejectedDecision, context: RejectionContext = {}): AppError {
  const retryAfter = decision.retryAfterSeconds;
  if (decision.reason === 'quota_exceeded' && decision.quota) {
    const q = decision.quota;
    const plan = context.planName ? `The ${context.planName} plan's` : "Your plan's";
    const upgrade = context.upgradeUrl ? ` or upgrade at ${context.upgradeUrl}` : ' or upgrade your plan';
    return new AppError(
      'quota_exceeded',
      `${plan} quota of ${q.limit} units for the period ${q.periodKey} is used up (${q.used} used). Wait for the next period in ${retryAfter} s${upgrade}.`,
      {
        limit: q.limit,
        used: q.used,
        period: q.periodKey,
        plan: context.planName,
        retryAfter,
        upgradeUrl: context.upgradeUrl,
      },
      decision.headers,
    );
  }
  const by = decision.rejectedBy;
  const what = by
    ? `${by.scope === 'plan' ? "your plan's" : "this endpoint's"} limit of ${by.limit} calls per ${WINDOW_WORDS[by.window]}`
    : 'a rate limit';
  return new AppError(
    'rate_limit_exceeded',
    `Too many calls: ${what} is reached. Retry after ${retryAfter} s, or spread your calls out.`,
    { limit: by?.limit, window: by ? policyName(by) : undefined, retryAfter },
    decision.headers,
  );
}
