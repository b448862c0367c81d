import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS, REDIS_SUBSCRIBER, RedisKeys } from './redis-keys';

type Listener = (message: string) => void;

/**
 * Fire-and-forget broadcast between Portico processes over Redis pub/sub (cache invalidations).
 * Messages are lost while a process is disconnected, so every cache that listens also has a TTL.
 */
@Injectable()
export class EventBus implements OnModuleDestroy {
  private readonly logger = new Logger(EventBus.name);
  private readonly listeners = new Map<string, Set<Listener>>();
  private attached = false;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(REDIS_SUBSCRIBER) private readonly subscriber: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async publish(name: string, message: string): Promise<void> {
    await this.redis.publish(this.keys.channel(name), message);
  }

  /** Subscribes and resolves once Redis confirmed the subscription. */
  async subscribe(name: string, listener: Listener): Promise<() => void> {
    const channel = this.keys.channel(name);
    this.attach();
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      // SUBSCRIBE sent while the connection is still handshaking makes ioredis' ready check fail
      // and the subscription is silently lost on the reconnect that follows: wait for ready
      if (this.subscriber.status !== 'ready') await new Promise<void>((resolve) => this.subscriber.once('ready', () => resolve()));
      await this.subscriber.subscribe(channel);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Runs `listener` whenever the subscriber (re)connects: messages sent meanwhile were lost. */
  onReconnect(listener: () => void): void {
    this.subscriber.on('ready', listener);
  }

  private attach(): void {
    if (this.attached) return;
    this.attached = true;
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const listener of this.listeners.get(channel) ?? []) {
        try {
          listener(message);
        } catch (error) {
          this.logger.error({ err: error, channel }, 'event listener failed');
        }
      }
    });
  }

  onModuleDestroy(): void {
    this.listeners.clear();
  }
}
