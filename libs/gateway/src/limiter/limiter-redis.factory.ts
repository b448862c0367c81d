import Redis from 'ioredis';

export interface LimiterRedisOptions {
  /** A command slower than this fails (and the limiter falls back); default 250 ms. */
  commandTimeoutMs?: number;
  connectionName?: string;
}

/**
 * The limiter's own connection. No auto-pipelining: `RedisLimiter` coalesces the EVALSHAs of one
 * event-loop turn into one socket write itself (on this machine a socket write costs tens of µs;
 * coalescing took the gateway from 349 to 221 µs of CPU per call, docs/benchmarks.md), without
 * ioredis' per-tick pipeline and its second command object per call. No offline queue and no
 * retries per request, so a Redis outage fails the call at once and the request goes to the
 * fallback instead of waiting in a queue.
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
