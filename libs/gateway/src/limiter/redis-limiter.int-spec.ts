import { AppError } from '@app/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { GatewayLimiterEnv } from '../gateway-limiter.env';
import { FallbackLimiter } from './fallback-limiter';
import { limitRejectionError } from './limit-headers';
import { createLimiterRedis } from './limiter-redis.factory';
import { LimiterUnavailableError } from './limiter.errors';
import { LIMITER_LUA_SHA1 } from './limiter.script';
import { LimiterService } from './limiter.service';
import { QUOTA_COUNTER_GRACE_MS, quotaCounterKey } from './quota-counter';
import type { LimitDecision, LimitRequest, RejectedDecision } from './limiter.types';
import { limiterKeys, RedisLimiter } from './redis-limiter';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `${process.env.REDIS_PREFIX ?? 'portico-test'}-gwlimiter-${randomUUID().slice(0, 8)}`;
/** A fixed instant 10 s into a UTC minute (and 70 s into an hour), so no window boundary is crossed by accident. */
const T0 = Date.UTC(2026, 10, 2, 12, 1, 10);
const PERIOD_END = T0 + 20 * 24 * 3600 * 1000;

function request(subscriptionId: string, overrides: Partial<LimitRequest> = {}): LimitRequest {
  return {
    subscriptionId,
    planLimits: {},
    quota: {
      limit: null,
      mode: 'hard',
      periodKey: '2026-11-01',
      periodStartsAt: T0 - 10 * 24 * 3600 * 1000,
      periodEndsAt: PERIOD_END,
    },
    weight: 1,
    ...overrides,
  };
}

const rejected = (d: LimitDecision): RejectedDecision => {
  if (d.allowed) throw new Error('expected a rejection');
  return d;
};

describe('RedisLimiter (real Redis)', () => {
  let a: Redis;
  let b: Redis;
  let now = T0;
  const clock = (): number => now;
  let limiterA: RedisLimiter;
  let limiterB: RedisLimiter;

  beforeAll(async () => {
    // two connections: two gateway processes sharing one Redis
    a = createLimiterRedis(REDIS_URL, { connectionName: 'limiter-test-a', commandTimeoutMs: 2000 });
    b = createLimiterRedis(REDIS_URL, { connectionName: 'limiter-test-b', commandTimeoutMs: 2000 });
    await Promise.all(
      [a.ping(), b.ping()].map((p) => p.catch(async () => new Promise((r) => setTimeout(r, 200)))),
    );
    await Promise.all([waitReady(a), waitReady(b)]);
    limiterA = new RedisLimiter(a, { prefix: PREFIX, clock });
    limiterB = new RedisLimiter(b, { prefix: PREFIX, clock });
  });

  beforeEach(() => {
    now = T0;
  });

  afterAll(async () => {
    const keys = await a.keys(`${PREFIX}:*`);
    if (keys.length > 0) await a.del(...keys);
    await Promise.all([a.quit(), b.quit()]);
  });

  async function burst(n: number, make: () => LimitRequest): Promise<LimitDecision[]> {
    return Promise.all(
      Array.from({ length: n }, (_, i) => (i % 2 === 0 ? limiterA : limiterB).decide(make())),
    );
  }

  it.each([
    ['per-minute fixed window', { perMinute: 25 }],
    ['per-hour fixed window', { perHour: 25 }],
    ['per-second GCRA with burst (capacity = perSecond + burst)', { perSecond: 5, burst: 20 }],
  ])(
    'gives exactly N of N and of 2N concurrent callers over two connections: %s',
    async (_name, planLimits) => {
      const n = 25;
      const first = await burst(n, () => request(`sub-${randomUUID()}`, { planLimits }));
      expect(first.filter((d) => d.allowed)).toHaveLength(n);

      const sub = `sub-${randomUUID()}`;
      const second = await burst(2 * n, () => request(sub, { planLimits }));
      expect(second.filter((d) => d.allowed)).toHaveLength(n);
      const refusals = second.filter((d) => !d.allowed).map(rejected);
      expect(refusals.every((d) => d.reason === 'rate_limit_exceeded')).toBe(true);
    },
  );

  it('counts a limit of N exactly for one subscription over two connections (N of N, then none)', async () => {
    const sub = `sub-${randomUUID()}`;
    const n = 30;
    const decisions = await burst(n, () => request(sub, { planLimits: { perMinute: n } }));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(n);
    const next = await limiterB.decide(request(sub, { planLimits: { perMinute: n } }));
    expect(next.allowed).toBe(false);
  });

  it('gives exactly N units of a hard quota to 2N concurrent callers', async () => {
    const sub = `sub-${randomUUID()}`;
    const quota = { limit: 20, mode: 'hard' as const, periodKey: 'p1', periodEndsAt: PERIOD_END };
    const decisions = await burst(40, () => request(sub, { quota }));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
    expect(
      decisions
        .filter((d) => !d.allowed)
        .map(rejected)
        .every((d) => d.reason === 'quota_exceeded'),
    ).toBe(true);
    expect(await a.get(`${PREFIX}:gw:{${sub}}:quota:p1`)).toBe('20');
  });

  it('counts the billing weight against the quota and rejects a call that would go over a hard quota', async () => {
    const sub = `sub-${randomUUID()}`;
    const quota = {
      limit: 10,
      mode: 'hard' as const,
      periodKey: 'p1',
      periodStartsAt: T0 - 1000,
      periodEndsAt: T0 + 3_600_000,
    };
    for (let i = 0; i < 3; i++)
      expect((await limiterA.decide(request(sub, { quota, weight: 3 }))).allowed).toBe(true);
    const refused = rejected(await limiterA.decide(request(sub, { quota, weight: 3 })));
    expect(refused.reason).toBe('quota_exceeded');
    expect(refused.retryAfterSeconds).toBe(3600);
    expect(refused.quota).toMatchObject({ limit: 10, used: 9, remaining: 1 });
    expect(refused.headers).toMatchObject({
      'X-Quota-Limit': '10',
      'X-Quota-Remaining': '1',
      'X-Quota-Reset': '3600',
      'Retry-After': '3600',
    });
    // a smaller call still fits
    expect(await limiterA.decide(request(sub, { quota, weight: 1 }))).toMatchObject({
      allowed: true,
      quota: { used: 10, remaining: 0 },
    });

    const error = limitRejectionError(refused, {
      planName: 'Basic',
      upgradeUrl: 'https://portico.example/apis/x/pricing',
    });
    expect(error).toBeInstanceOf(AppError);
    expect(error.status).toBe(429);
    expect(error.code).toBe('quota_exceeded');
    expect(error.extensions).toMatchObject({
      plan: 'Basic',
      period: 'p1',
      limit: 10,
      retryAfter: 3600,
      upgradeUrl: 'https://portico.example/apis/x/pricing',
    });
    expect(error.headers['Retry-After']).toBe('3600');
  });

  it('allows a soft quota past its limit and reports the overage units of each call', async () => {
    const sub = `sub-${randomUUID()}`;
    const quota = { limit: 5, mode: 'soft' as const, periodKey: 'p1', periodEndsAt: PERIOD_END };
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await limiterA.decide(request(sub, { quota, weight: 2 })));
    expect(results.every((d) => d.allowed)).toBe(true);
    expect(results.map((d) => (d.allowed ? d.overageUnits : -1))).toEqual([0, 0, 1, 2]);
    expect(results[3].quota).toMatchObject({ used: 8, remaining: 0 });
  });

  it('consumes nothing on a rejection: a rate-limited call leaves the quota, a quota-rejected call leaves the windows', async () => {
    const sub = `sub-${randomUUID()}`;
    const quota = { limit: 2, mode: 'hard' as const, periodKey: 'p1', periodEndsAt: PERIOD_END };
    const planLimits = { perMinute: 3 };
    await limiterA.decide(request(sub, { planLimits, quota }));
    await limiterA.decide(request(sub, { planLimits, quota }));
    const byQuota = rejected(await limiterA.decide(request(sub, { planLimits, quota })));
    expect(byQuota.reason).toBe('quota_exceeded');
    // the minute window still has 1 call left: the quota rejection took nothing
    expect(byQuota.windows[0]).toMatchObject({ window: 'minute', remaining: 1 });
    expect(await a.hget(`${PREFIX}:gw:{${sub}}:rl`, 'mc')).toBe('2');

    const sub2 = `sub-${randomUUID()}`;
    const bigQuota = { ...quota, limit: 100 };
    await limiterA.decide(request(sub2, { planLimits: { perMinute: 1 }, quota: bigQuota }));
    const byRate = rejected(
      await limiterA.decide(request(sub2, { planLimits: { perMinute: 1 }, quota: bigQuota, weight: 7 })),
    );
    expect(byRate.reason).toBe('rate_limit_exceeded');
    expect(await a.get(`${PREFIX}:gw:{${sub2}}:quota:p1`)).toBe('1');
  });

  it('names the window that rejected and says when to retry', async () => {
    const sub = `sub-${randomUUID()}`;
    const planLimits = { perSecond: 2, perMinute: 100 };
    await limiterA.decide(request(sub, { planLimits }));
    await limiterA.decide(request(sub, { planLimits }));
    const refused = rejected(await limiterA.decide(request(sub, { planLimits })));
    expect(refused.rejectedBy).toEqual({ scope: 'plan', window: 'second', limit: 2 });
    expect(refused.retryAfterSeconds).toBe(1);
    const error = limitRejectionError(refused);
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.extensions).toMatchObject({ limit: 2, window: 'second', retryAfter: 1 });
    // half a second later one token is back (2/s)
    now += 500;
    expect((await limiterA.decide(request(sub, { planLimits }))).allowed).toBe(true);
  });

  it('resets a fixed window at the next UTC minute', async () => {
    const sub = `sub-${randomUUID()}`;
    const planLimits = { perMinute: 1 };
    expect((await limiterA.decide(request(sub, { planLimits }))).allowed).toBe(true);
    const refused = rejected(await limiterA.decide(request(sub, { planLimits })));
    expect(refused.retryAfterSeconds).toBe(50);
    now += 50_000;
    expect((await limiterA.decide(request(sub, { planLimits }))).allowed).toBe(true);
  });

  it('keeps an endpoint limit per (subscription, endpoint) on top of the plan limit', async () => {
    const sub = `sub-${randomUUID()}`;
    const planLimits = { perMinute: 10 };
    const search = { endpointId: 'ep-search', limits: { perMinute: 2 } };
    const other = { endpointId: 'ep-other', limits: { perMinute: 2 } };
    await limiterA.decide(request(sub, { planLimits, endpointLimit: search }));
    await limiterB.decide(request(sub, { planLimits, endpointLimit: search }));
    const refused = rejected(await limiterA.decide(request(sub, { planLimits, endpointLimit: search })));
    expect(refused.rejectedBy).toEqual({ scope: 'endpoint', window: 'minute', limit: 2 });
    const allowed = await limiterA.decide(request(sub, { planLimits, endpointLimit: other }));
    expect(allowed.allowed).toBe(true);
    // the plan window counted the 3 allowed calls only
    expect(allowed.windows.find((w) => w.scope === 'plan')).toMatchObject({ remaining: 7 });
  });

  it('answers every header of DESIGN §3 step 6', async () => {
    const sub = `sub-${randomUUID()}`;
    const decision = await limiterA.decide(
      request(sub, {
        planLimits: { perSecond: 10, burst: 5, perMinute: 600 },
        quota: {
          limit: 1000,
          mode: 'hard',
          periodKey: 'p1',
          periodStartsAt: T0 - 86_400_000,
          periodEndsAt: T0 + 86_400_000,
        },
      }),
    );
    expect(decision.headers).toEqual({
      'RateLimit-Policy': '"second";q=15;w=2, "minute";q=600;w=60, "quota";q=1000;w=172800',
      RateLimit: '"second";r=14;t=1, "minute";r=599;t=50, "quota";r=999;t=86400',
      'X-RateLimit-Limit': '15',
      'X-RateLimit-Remaining': '14',
      'X-RateLimit-Reset': '1',
      'X-Quota-Limit': '1000',
      'X-Quota-Remaining': '999',
      'X-Quota-Reset': '86400',
    });
  });

  it('makes no round trip when there is nothing to count', async () => {
    const unreachable = createUnreachable();
    const decision = await new RedisLimiter(unreachable, { prefix: PREFIX }).decide(request('sub-free'));
    unreachable.disconnect();
    expect(decision).toMatchObject({ allowed: true, source: 'none', headers: {} });
  });

  it('uses the Redis clock when no clock is injected', async () => {
    const limiter = new RedisLimiter(a, { prefix: PREFIX });
    const sub = `sub-${randomUUID()}`;
    const decisions = await Promise.all(
      Array.from({ length: 5 }, () => limiter.decide(request(sub, { planLimits: { perHour: 3 } }))),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(3);
  });

  it.each([
    ['until the period end plus the grace', PERIOD_END, PERIOD_END + QUOTA_COUNTER_GRACE_MS - T0],
    ['for the grace at least, when the period has ended', T0 - 1000, QUOTA_COUNTER_GRACE_MS],
  ])("keeps the period's quota counter %s", async (_, periodEndsAt, ttl) => {
    const sub = `sub-${randomUUID()}`;
    const quota = { limit: 100, mode: 'hard' as const, periodKey: 'p1', periodEndsAt };
    await limiterA.decide(request(sub, { quota }));
    const left = await a.pttl(quotaCounterKey(PREFIX, sub, 'p1'));
    // PTTL counts down from the TTL the script set (the injected clock is T0)
    expect(left).toBeLessThanOrEqual(ttl);
    expect(left).toBeGreaterThan(ttl - 60_000);
  });

  it('expires the rate state a second or two after its longest window, moving the expiry only when it comes too soon', async () => {
    const sub = `sub-${randomUUID()}`;
    const limits = request(sub, { planLimits: { perSecond: 10, perMinute: 100 } });
    const [state] = limiterKeys(PREFIX, sub, undefined, limits.quota.periodKey);
    // T0 is 10 s into its minute: the minute window resets in 50 s
    await limiterA.decide(limits);
    const first = await a.pttl(state);
    expect(first).toBeGreaterThan(50_000);
    expect(first).toBeLessThanOrEqual(52_000);
    // 5 s later in the same minute: the expiry set above still covers the windows, so it is not
    // moved (set again, it would be 5 s sooner)
    now = T0 + 5_000;
    await limiterA.decide(limits);
    const second = await a.pttl(state);
    expect(second).toBeLessThanOrEqual(first);
    expect(second).toBeGreaterThan(first - 1_000);
    // the next minute's window needs a later expiry: moved again
    now = T0 + 55_000;
    await limiterA.decide(limits);
    expect(await a.pttl(state)).toBeGreaterThan(first);
  });

  it("answers a new plan's windows and policy when the subscription's request changes, on the same counters", async () => {
    const sub = `sub-${randomUUID()}`;
    const before = request(sub, { planLimits: { perMinute: 2 } });
    await limiterA.decide(before);
    expect(
      rejected((await Promise.all([limiterA.decide(before), limiterA.decide(before)]))[1]),
    ).toMatchObject({
      reason: 'rate_limit_exceeded',
      headers: { 'RateLimit-Policy': '"minute";q=2;w=60' },
    });
    // the plan was upgraded: the gateway reloads the subscription and builds a new request object
    const after = request(sub, { planLimits: { perMinute: 5 } });
    const decision = await limiterA.decide(after);
    expect(decision).toMatchObject({
      allowed: true,
      headers: { 'RateLimit-Policy': '"minute";q=5;w=60', 'X-RateLimit-Remaining': '2' },
    });
  });

  it('reloads the script with EVAL after a SCRIPT FLUSH (NOSCRIPT)', async () => {
    await a.script('FLUSH');
    const decision = await limiterA.decide(request(`sub-${randomUUID()}`, { planLimits: { perMinute: 5 } }));
    expect(decision.allowed).toBe(true);
    expect(await a.script('EXISTS', LIMITER_LUA_SHA1)).toEqual([1]);
  });
});

describe('LimiterService when Redis is unreachable', () => {
  let down: Redis;
  const env = (overrides: Partial<GatewayLimiterEnv> = {}): GatewayLimiterEnv =>
    Object.assign(new GatewayLimiterEnv(), overrides);
  const quota = { limit: 100, mode: 'hard' as const, periodKey: 'p1', periodEndsAt: PERIOD_END };

  beforeAll(() => {
    down = createUnreachable();
  });

  afterAll(() => {
    down.disconnect();
  });

  it('throws the typed LimiterUnavailableError from the Redis limiter, fast', async () => {
    const started = Date.now();
    await expect(
      new RedisLimiter(down, { prefix: PREFIX }).decide(request('s1', { planLimits: { perMinute: 1 } })),
    ).rejects.toBeInstanceOf(LimiterUnavailableError);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('falls back to the per-process limiter for rate limits (fail-open) and counts it', async () => {
    const service = new LimiterService(
      new RedisLimiter(down, { prefix: PREFIX }),
      new FallbackLimiter(),
      env(),
    );
    const results = [];
    for (let i = 0; i < 4; i++)
      results.push(
        await service.decide(request('s-free', { planLimits: { perMinute: 3 }, quota, paidPlan: false })),
      );
    expect(results.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(results[0].source).toBe('fallback');
    expect(results[0].quota).toBeNull();
    expect(service.counters).toEqual({ redisFailures: 4, fallbackDecisions: 4, failClosedRejections: 0 });
  });

  it("fails a paid plan's hard quota closed with 503 service_unavailable", async () => {
    const service = new LimiterService(
      new RedisLimiter(down, { prefix: PREFIX }),
      new FallbackLimiter(),
      env(),
    );
    const call = service.decide(request('s-paid', { planLimits: { perMinute: 3 }, quota, paidPlan: true }));
    await expect(call).rejects.toMatchObject({
      code: 'service_unavailable',
      status: 503,
      headers: { 'Retry-After': '1' },
    });
    expect(service.counters.failClosedRejections).toBe(1);
    // a soft quota or an unlimited one on a paid plan still goes on
    await expect(
      service.decide(request('s-paid', { quota: { ...quota, mode: 'soft' }, paidPlan: true })),
    ).resolves.toMatchObject({ allowed: true });
  });

  it('lets the paid hard quota through when GATEWAY_PAID_QUOTA_FAIL_CLOSED=false', async () => {
    const service = new LimiterService(
      new RedisLimiter(down, { prefix: PREFIX }),
      new FallbackLimiter(),
      env({ GATEWAY_PAID_QUOTA_FAIL_CLOSED: false }),
    );
    await expect(service.decide(request('s-paid', { quota, paidPlan: true }))).resolves.toMatchObject({
      allowed: true,
      source: 'fallback',
    });
  });

  it('refuses every limited call with 503 when GATEWAY_RATE_LIMIT_FAIL_OPEN=false', async () => {
    const service = new LimiterService(
      new RedisLimiter(down, { prefix: PREFIX }),
      new FallbackLimiter(),
      env({ GATEWAY_RATE_LIMIT_FAIL_OPEN: false }),
    );
    await expect(
      service.decide(request('s-free', { planLimits: { perSecond: 1 }, paidPlan: false })),
    ).rejects.toMatchObject({ code: 'service_unavailable' });
    expect(service.counters).toMatchObject({ fallbackDecisions: 0, failClosedRejections: 1 });
  });
});

/** A limiter connection to a closed port: every command fails at once (no offline queue). */
function createUnreachable(): Redis {
  const redis = createLimiterRedis('redis://127.0.0.1:1', { connectionName: 'limiter-test-down' });
  redis.on('error', () => undefined);
  return redis;
}

async function waitReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    redis.once('error', reject);
  });
}
