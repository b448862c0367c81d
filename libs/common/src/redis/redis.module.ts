import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { CoreEnv } from '../config/core.env';
import { EventBus } from './event-bus';
import { REDIS, REDIS_SUBSCRIBER, RedisKeys } from './redis-keys';

export function createRedis(url: string, name: string, waitForever = false): Redis {
  return new Redis(url, {
    connectionName: name,
    // a subscriber waits for Redis to come back; a command fails fast so callers can fall back
    maxRetriesPerRequest: waitForever ? null : 1,
    enableAutoPipelining: false,
    lazyConnect: false,
  });
}

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(REDIS_SUBSCRIBER) private readonly subscriber: Redis,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([this.redis.quit(), this.subscriber.quit()]);
  }
}

@Global()
@Module({
  providers: [
    RedisKeys,
    { provide: REDIS, inject: [CoreEnv], useFactory: (env: CoreEnv) => createRedis(env.REDIS_URL, 'portico') },
    {
      provide: REDIS_SUBSCRIBER,
      inject: [CoreEnv],
      useFactory: (env: CoreEnv) => createRedis(env.REDIS_URL, 'portico-sub', true),
    },
    RedisCloser,
    EventBus,
  ],
  exports: [REDIS, REDIS_SUBSCRIBER, RedisKeys, EventBus],
})
export class RedisModule {}
