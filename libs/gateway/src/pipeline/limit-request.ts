import type { LimitRequest, RateLimits } from '../limiter/limiter.types';
import { endpointKey, type DirectoryEndpoint, type DirectorySubscription } from '../resolution/gateway-directory';

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
    endpointLimit: endpoint && endpointLimits ? { endpointId: endpoint.id, limits: endpointLimits } : undefined,
    quota: {
      limit: sub.periodEnd === null ? null : sub.quotaLimit,
      mode: sub.quotaMode,
      periodKey: sub.periodStart === null ? 'none' : new Date(sub.periodStart).toISOString(),
      periodStartsAt: sub.periodStart ?? undefined,
      periodEndsAt: sub.periodEnd ?? 0,
    },
    weight: (key ? sub.endpointWeights[key] : undefined) ?? 1,
    paidPlan: sub.paid,
  };
}
