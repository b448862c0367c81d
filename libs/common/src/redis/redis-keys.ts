import { Injectable } from '@nestjs/common';
import { CoreEnv } from '../config/core.env';

/** Injection token of the shared command connection. */
export const REDIS = Symbol('REDIS');
/** Injection token of the connection that only subscribes (a subscribed connection cannot run commands). */
export const REDIS_SUBSCRIBER = Symbol('REDIS_SUBSCRIBER');

/** Builds Redis key and channel names under the install's REDIS_PREFIX. */
@Injectable()
export class RedisKeys {
  constructor(private readonly env: CoreEnv) {}

  get prefix(): string {
    return this.env.REDIS_PREFIX;
  }

  key(...parts: string[]): string {
    return [this.env.REDIS_PREFIX, ...parts].join(':');
  }

  channel(name: string): string {
    return `${this.env.REDIS_PREFIX}:events:${name}`;
  }
}

