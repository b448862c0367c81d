import Redis from 'ioredis';

export interface LimiterRedisOptions {
  /** A command slower than this fails (and the limiter falls back); default 250 ms. */
  commandTimeoutMs?: number;
  connectionName?: string;
}

/**
 * The limiter's own connection. Auto-pipelining stays OFF (STACK: it tripled the p99 at a steady
 * rate); no offline queue and no retries per request, so a Redis outage fails the call at once
 * and the request goes to the fallback instead of waiting in a queue.
 */
export function createLimiterRedis(url: string, options: LimiterRedisOptions = {}): Redis {
  return new Redis(url, {
    connectionName: options.connectionName ?? 'portico-limiter',
    enableAutoPipelining: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 250,
    // keep reconnecting in the background, at most every 2 s
    retryStrategy: (times) => Math.min(times * 100, 2000),
  });
}
