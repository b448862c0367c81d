import { EventBus } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';

/** The pub/sub channel (under REDIS_PREFIX) that tells every key cache to drop some entries. */
export const KEY_INVALIDATION_CHANNEL = 'identity.api-keys-invalidated';

/** Message on KEY_INVALIDATION_CHANNEL: the SHA-256 hashes of the keys whose record changed. */
export interface ApiKeysInvalidatedEvent {
  keyHashes: string[];
}

const HASH_PATTERN = /^[0-9a-f]{64}$/;

/**
 * Broadcasts "these keys changed" after a revoke, rotation, update or application deletion has
 * committed, and lets KeyResolver instances listen. Best effort by design: a lost message is
 * bounded by the resolver cache's TTL, and a failed publish never undoes a committed change.
 */
@Injectable()
export class KeyInvalidationService {
  private readonly logger = new Logger(KeyInvalidationService.name);

  constructor(private readonly bus: EventBus) {}

  async publish(keyHashes: readonly string[]): Promise<void> {
    if (keyHashes.length === 0) return;
    const event: ApiKeysInvalidatedEvent = { keyHashes: [...new Set(keyHashes)] };
    try {
      await this.bus.publish(KEY_INVALIDATION_CHANNEL, JSON.stringify(event));
    } catch (error) {
      this.logger.error(
        { err: error, keys: event.keyHashes.length },
        'could not publish key invalidation; caches catch up when their entries expire',
      );
    }
  }

  /** Resolves once Redis confirmed the subscription. */
  subscribe(listener: (keyHashes: string[]) => void): Promise<() => void> {
    return this.bus.subscribe(KEY_INVALIDATION_CHANNEL, (message) => {
      const hashes = parseEvent(message);
      if (hashes === null) {
        this.logger.warn('ignored a malformed key invalidation message');
        return;
      }
      listener(hashes);
    });
  }

  /** Runs `listener` whenever the subscriber (re)connects: invalidations sent meanwhile were lost. */
  onReconnect(listener: () => void): void {
    this.bus.onReconnect(listener);
  }
}

function parseEvent(message: string): string[] | null {
  try {
    const parsed = JSON.parse(message) as Partial<ApiKeysInvalidatedEvent>;
    if (!Array.isArray(parsed.keyHashes)) return null;
    return parsed.keyHashes.filter(
      (hash): hash is string => typeof hash === 'string' && HASH_PATTERN.test(hash),
    );
  } catch {
    return null;
  }
}
