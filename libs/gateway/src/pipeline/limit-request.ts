import type { LimitRequest, RateLimits } from '../limiter/limiter.types';
import { quotaPeriodKey } from '../limiter/quota-counter';
import {
  endpointKey,
  type DirectoryEndpoint,
  type DirectorySubscription,
} from '../resolution/gateway-directory';

export interface TestCallLimits {
  perSecond: number;
  perMinute: number;
}

/**
 * Step 4's input (DESIGN §3): what the limiter decides for this call. Live calls: the plan's rate
 * limits, the endpoint's own limit, the period quota counted in the endpoint's billing weight.
 * Test calls (mp_test_): their own modest windows, counted apart from live traffic, and no quota
 * (they are never billed).
 */
export function limitRequestFor(
  sub: DirectorySubscription,
  endpoint: DirectoryEndpoint | null,
  mode: 'live' | 'test',
  test: TestCallLimits,
): LimitRequest {
  // Memoised per cached subscription object (replaced, never mutated, when it changes): the hot
  // path builds no period key and no objects per call. Callers must not mutate the answer.
  let bySub = memo.get(sub);
  if (!bySub) memo.set(sub, (bySub = new Map<string, MemoEntry>()));
  const memoKey = mode === 'test' ? `test:${test.perSecond}:${test.perMinute}` : (endpoint?.id ?? '');
  let request = bySub.get(memoKey);
  if (!request || (mode === 'live' && request.endpoint !== endpoint)) {
    request = { endpoint, value: buildLimitRequest(sub, endpoint, mode, test) };
    if (bySub.size < MEMO_PER_SUBSCRIPTION) bySub.set(memoKey, request);
  }
  return request.value;
}

/** Distinct endpoints memoised per subscription (beyond it requests are built per call, as before). */
const MEMO_PER_SUBSCRIPTION = 256;
interface MemoEntry {
  endpoint: DirectoryEndpoint | null;
  value: LimitRequest;
}
const memo = new WeakMap<DirectorySubscription, Map<string, MemoEntry>>();

function buildLimitRequest(
  sub: DirectorySubscription,
  endpoint: DirectoryEndpoint | null,
  mode: 'live' | 'test',
  test: TestCallLimits,
): LimitRequest {
  if (mode === 'test') {
    return {
      subscriptionId: `${sub.subscriptionId}:test`,
      planLimits: { perSecond: test.perSecond, perMinute: test.perMinute },
      quota: { limit: null, mode: 'hard', periodKey: 'test', periodEndsAt: 0 },
      weight: 1,
    };
  }
  const key = endpoint ? endpointKey(endpoint) : null;
  const endpointLimits: RateLimits | undefined = key ? sub.endpointRateLimits[key] : undefined;
  return {
    subscriptionId: sub.subscriptionId,
    planLimits: sub.rateLimits,
    endpointLimit:
      endpoint && endpointLimits ? { endpointId: endpoint.id, limits: endpointLimits } : undefined,
    quota: {
      limit: sub.periodEnd === null ? null : sub.quotaLimit,
      mode: sub.quotaMode,
      periodKey: quotaPeriodKey(sub.periodStart),
      periodStartsAt: sub.periodStart ?? undefined,
      periodEndsAt: sub.periodEnd ?? 0,
    },
    weight: (key ? sub.endpointWeights[key] : undefined) ?? 1,
    paidPlan: sub.paid,
  };
}
