import { CoreEnv, RedisKeys } from '@app/common';
import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { FallbackLimiter } from './fallback-limiter';
import { createLimiterRedis } from './limiter-redis.factory';
import { LimiterService } from './limiter.service';
import { RedisLimiter } from './redis-limiter';

/** Injection token of the limiter's dedicated Redis connection. */
export const LIMITER_REDIS = Symbol('LIMITER_REDIS');

@Injectable()
class LimiterRedisCloser implements OnApplicationShutdown {
  constructor(@Inject(LIMITER_REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/**
 * The limiter step for the gateway app: its own Redis connection (see createLimiterRedis), the
 * Redis limiter under the install's prefix, the per-process fallback and LimiterService. Needs
 * CoreEnv, RedisKeys and GatewayLimiterEnv from the app's EnvModule / RedisModule.
 */
@Module({
  providers: [
    {
      provide: LIMITER_REDIS,
      inject: [CoreEnv],
      useFactory: (env: CoreEnv) => createLimiterRedis(env.REDIS_URL),
    },
    {
      provide: RedisLimiter,
      inject: [LIMITER_REDIS, RedisKeys],
      useFactory: (redis: Redis, keys: RedisKeys) => new RedisLimiter(redis, { prefix: keys.prefix }),
    },
    { provide: FallbackLimiter, useFactory: () => new FallbackLimiter() },
    LimiterService,
    LimiterRedisCloser,
  ],
  exports: [LimiterService],
})
export class GatewayLimiterModule {}
