import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS, RedisKeys } from '../redis/redis-keys';

export interface LimitDecision {
  allowed: boolean;
  remaining: number;
  /** Seconds until the window resets. */
  retryAfterSeconds: number;
}

const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('PTTL', KEYS[1]) }
`;

/**
 * A fixed-window counter in Redis for low-volume throttles (login, sign-up). One round trip.
 * Not the gateway's limiter, which lives in libs/gateway and decides several windows at once.
 */
@Injectable()
export class FixedWindowLimiter {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async hit(bucket: string, limit: number, windowSeconds: number): Promise<LimitDecision> {
    const [count, ttlMs] = (await this.redis.eval(HIT, 1, this.keys.key('throttle', bucket), windowSeconds * 1000)) as [
      number,
      number,
    ];
    return {
      allowed: count <= limit,
      remaining: Math.max(0, limit - count),
      retryAfterSeconds: Math.max(1, Math.ceil(Math.max(ttlMs, 0) / 1000)),
    };
  }

  async reset(bucket: string): Promise<void> {
    await this.redis.del(this.keys.key('throttle', bucket));
  }
}
