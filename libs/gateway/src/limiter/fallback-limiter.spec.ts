import { FallbackLimiter } from './fallback-limiter';
import type { LimitDecision, LimitRequest } from './limiter.types';

const T0 = Date.UTC(2026, 10, 2, 12, 1, 10);

function request(overrides: Partial<LimitRequest> = {}): LimitRequest {
  return {
    subscriptionId: 'sub-1',
    planLimits: {},
    quota: { limit: 100, mode: 'hard', periodKey: 'p', periodEndsAt: T0 + 1000 },
    weight: 1,
    ...overrides,
  };
}

describe('FallbackLimiter', () => {
  let now: number;
  let limiter: FallbackLimiter;
  beforeEach(() => {
    now = T0;
    limiter = new FallbackLimiter({ clock: () => now });
  });
  const allowedCount = (decisions: LimitDecision[]): number => decisions.filter((d) => d.allowed).length;

  it('allows perSecond + burst calls at once, then one per 1/perSecond s (GCRA)', () => {
    const planLimits = { perSecond: 4, burst: 2 };
    expect(allowedCount(Array.from({ length: 10 }, () => limiter.decide(request({ planLimits }))))).toBe(6);
    now += 250;
    expect(limiter.decide(request({ planLimits })).allowed).toBe(true);
    expect(limiter.decide(request({ planLimits })).allowed).toBe(false);
  });

  it('counts fixed UTC minute and hour windows', () => {
    const planLimits = { perMinute: 3, perHour: 4 };
    expect(allowedCount(Array.from({ length: 5 }, () => limiter.decide(request({ planLimits }))))).toBe(3);
    now += 50_000; // next minute
    expect(allowedCount(Array.from({ length: 5 }, () => limiter.decide(request({ planLimits }))))).toBe(1);
    const refused = limiter.decide(request({ planLimits }));
    expect(refused).toMatchObject({
      allowed: false,
      reason: 'rate_limit_exceeded',
      rejectedBy: { window: 'hour', limit: 4 },
    });
  });

  it('reports the windows as they stand on a rejection (nothing consumed)', () => {
    const planLimits = { perMinute: 10 };
    const endpointLimit = { endpointId: 'e', limits: { perMinute: 1 } };
    limiter.decide(request({ planLimits, endpointLimit }));
    const refused = limiter.decide(request({ planLimits, endpointLimit }));
    expect(refused.allowed).toBe(false);
    expect(refused.windows).toEqual([
      { scope: 'plan', window: 'minute', limit: 10, windowSeconds: 60, remaining: 9, resetSeconds: 50 },
      { scope: 'endpoint', window: 'minute', limit: 1, windowSeconds: 60, remaining: 0, resetSeconds: 50 },
    ]);
    expect(refused.headers['Retry-After']).toBe('50');
  });

  it('never reports a quota (it cannot know one)', () => {
    const decision = limiter.decide(request({ planLimits: { perSecond: 1 } }));
    expect(decision).toMatchObject({ allowed: true, quota: null, source: 'fallback' });
    expect(decision.headers['X-Quota-Limit']).toBeUndefined();
  });

  it('keeps at most maxEntries states, dropping the least recently used', () => {
    const small = new FallbackLimiter({ clock: () => now, maxEntries: 2 });
    const planLimits = { perMinute: 1 };
    small.decide(request({ subscriptionId: 'a', planLimits }));
    small.decide(request({ subscriptionId: 'b', planLimits }));
    small.decide(request({ subscriptionId: 'a', planLimits }));
    small.decide(request({ subscriptionId: 'c', planLimits }));
    expect(small.size).toBe(2);
    // b was evicted: it starts afresh; a was kept
    expect(small.decide(request({ subscriptionId: 'b', planLimits })).allowed).toBe(true);
  });

  it('rejects a weight that is not a positive integer', () => {
    expect(() => limiter.decide(request({ weight: 0 }))).toThrow(TypeError);
  });
});
