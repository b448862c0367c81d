import type Redis from 'ioredis';
import { LIMITER_LUA, LIMITER_LUA_SHA1 } from './limiter.script';
import { LimiterUnavailableError } from './limiter.errors';
import { limiterKeyBase, quotaCounterKey, quotaCounterTtlMs } from './quota-counter';
import type { LimitDecision, LimitRequest } from './limiter.types';
import {
  hasAnyWindow,
  normaliseLimits,
  quotaLimitOf,
  quotaState,
  toDecision,
  validWeight,
  type NormalisedLimits,
  type RawDecision,
  type SlotOutcome,
} from './limit-windows';

/**
 * The limiter's Redis keys. The subscription id is the Redis Cluster hash tag, so the three keys
 * of one call always live in one slot (an EVALSHA over several keys needs that).
 */
export function limiterKeys(
  prefix: string,
  subscriptionId: string,
  endpointId: string | undefined,
  periodKey: string,
): [string, string, string] {
  const base = limiterKeyBase(prefix, subscriptionId);
  return [`${base}:rl`, `${base}:rl:ep:${endpointId ?? '-'}`, quotaCounterKey(prefix, subscriptionId, periodKey)];
}

export interface RedisLimiterOptions {
  /** Key prefix (the install's REDIS_PREFIX). */
  prefix: string;
  /**
   * Epoch ms for the decision. Leave unset in production: the script then reads Redis TIME, one
   * clock for every gateway process. Tests set it to make windows deterministic.
   */
  clock?: () => number;
}

/**
 * Rate limits and the period quota decided atomically in one Redis round trip: EVALSHA of a
 * script loaded once (EVAL on NOSCRIPT, which also caches it). Throws LimiterUnavailableError
 * when Redis cannot answer. Use a dedicated connection (createLimiterRedis): auto-pipelining on (one
 * write per event-loop tick), no offline queue, a short command timeout.
 */
export class RedisLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly options: RedisLimiterOptions,
  ) {}

  async decide(request: LimitRequest): Promise<LimitDecision> {
    const weight = validWeight(request.weight);
    const plan = normaliseLimits(request.planLimits);
    const endpoint = normaliseLimits(request.endpointLimit?.limits);
    const quotaLimit = quotaLimitOf(request.quota);
    const nowMs = this.options.clock ? this.options.clock() : Date.now();
    if (!hasAnyWindow(plan) && !hasAnyWindow(endpoint) && quotaLimit === null) {
      // nothing to count: no round trip at all
      return toDecision(
        plan,
        endpoint,
        {
          allowed: true,
          reason: null,
          rejectingSlot: -1,
          retryMicros: 0,
          slots: emptySlots(),
          quota: null,
          overageUnits: 0,
        },
        'none',
      );
    }
    const keys = limiterKeys(
      this.options.prefix,
      request.subscriptionId,
      request.endpointLimit?.endpointId,
      request.quota.periodKey,
    );
    const args = [
      this.options.clock ? String(Math.round(nowMs * 1000)) : '',
      String(weight),
      ...limitArgs(plan),
      ...limitArgs(endpoint),
      String(quotaLimit ?? -1),
      request.quota.mode === 'hard' ? '1' : '0',
      String(quotaCounterTtlMs(request.quota.periodEndsAt, nowMs)),
    ];
    const reply = await this.run(keys, args);
    return toDecision(plan, endpoint, parseReply(reply, request, quotaLimit, nowMs), 'redis');
  }

  private async run(keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(LIMITER_LUA_SHA1, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw unavailable(error);
    }
    try {
      return await this.redis.eval(LIMITER_LUA, keys.length, ...keys, ...args);
    } catch (error) {
      throw unavailable(error);
    }
  }
}

function limitArgs(limits: NormalisedLimits): string[] {
  return [String(limits.perSecond), String(limits.burst), String(limits.perMinute), String(limits.perHour)];
}

function emptySlots(): SlotOutcome[] {
  return Array.from({ length: 6 }, () => ({ remaining: 0, resetMicros: 0 }));
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

function unavailable(error: unknown): LimiterUnavailableError {
  const message = error instanceof Error ? error.message : String(error);
  return new LimiterUnavailableError(`the limiter's Redis did not answer: ${message}`, { cause: error });
}

function parseReply(
  reply: unknown,
  request: LimitRequest,
  quotaLimit: number | null,
  nowMs: number,
): RawDecision {
  if (!Array.isArray(reply) || reply.length !== 18 || !reply.every((v) => typeof v === 'number')) {
    throw new LimiterUnavailableError('the limiter script answered something unexpected');
  }
  const n = reply;
  const slots: SlotOutcome[] = [];
  for (let i = 0; i < 6; i++) slots.push({ remaining: n[6 + i * 2], resetMicros: n[7 + i * 2] });
  const reason = n[1] === 1 ? 'rate_limit_exceeded' : n[1] === 2 ? 'quota_exceeded' : null;
  return {
    allowed: n[0] === 1,
    reason,
    rejectingSlot: n[2] - 1,
    retryMicros: n[3],
    slots,
    quota: quotaLimit === null ? null : quotaState(request.quota, quotaLimit, n[4], nowMs),
    overageUnits: n[5],
  };
}
