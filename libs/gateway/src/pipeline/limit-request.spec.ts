import type { DirectorySubscription } from '../resolution/gateway-directory';
import { limitRequestFor } from './limit-request';

const sub: DirectorySubscription = {
  subscriptionId: 's1',
  consumerAccountId: 'a',
  apiId: 'api',
  status: 'active',
  planId: 'p',
  planName: 'Pro',
  paid: true,
  rateLimits: { perSecond: 10, burst: 5 },
  quotaLimit: 1000,
  quotaMode: 'soft',
  includedEndpoints: null,
  endpointWeights: { 'POST /render': 5 },
  endpointRateLimits: { 'POST /render': { perMinute: 2 } },
  periodStart: Date.UTC(2026, 10, 1),
  periodEnd: Date.UTC(2026, 11, 1),
  cancelAtPeriodEnd: false,
  spendCapReached: null,
};
const test = { perSecond: 5, perMinute: 100 };
const render = { id: 'e1', method: 'POST', path: '/render', responses: {} };

describe('limitRequestFor', () => {
  it('counts live calls on the plan, the endpoint limit and the quota in the endpoint weight', () => {
    expect(limitRequestFor(sub, render, 'live', test)).toEqual({
      subscriptionId: 's1',
      planLimits: { perSecond: 10, burst: 5 },
      endpointLimit: { endpointId: 'e1', limits: { perMinute: 2 } },
      quota: {
        limit: 1000,
        mode: 'soft',
        periodKey: '2026-11-01T00:00:00.000Z',
        periodStartsAt: Date.UTC(2026, 10, 1),
        periodEndsAt: Date.UTC(2026, 11, 1),
      },
      weight: 5,
      paidPlan: true,
    });
  });

  it('weighs unmatched or unweighted endpoints 1 and gives them no endpoint limit', () => {
    const request = limitRequestFor(sub, null, 'live', test);
    expect(request.weight).toBe(1);
    expect(request.endpointLimit).toBeUndefined();
  });

  it('counts test calls apart, on their own windows, with no quota', () => {
    const request = limitRequestFor(sub, render, 'test', test);
    expect(request).toMatchObject({
      subscriptionId: 's1:test',
      planLimits: { perSecond: 5, perMinute: 100 },
      weight: 1,
    });
    expect(request.quota.limit).toBeNull();
    expect(request.paidPlan).toBeUndefined();
  });

  it('answers the same request object for the same cached subscription, and a new one after a plan change', () => {
    // the Redis limiter compiles each request object once (keys, arguments, RateLimit-Policy):
    // a plan change must reach it as a new object
    const first = limitRequestFor(sub, render, 'live', test);
    expect(limitRequestFor(sub, render, 'live', test)).toBe(first);
    // a plan change drops the cached subscription; the reload is a new object
    const upgraded: DirectorySubscription = {
      ...sub,
      planId: 'p2',
      rateLimits: { perSecond: 50 },
      quotaLimit: 5000,
    };
    const after = limitRequestFor(upgraded, render, 'live', test);
    expect(after).not.toBe(first);
    expect(after).toMatchObject({ planLimits: { perSecond: 50 }, quota: { limit: 5000 } });
  });
});
