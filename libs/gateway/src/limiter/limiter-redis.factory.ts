import Redis from 'ioredis';

export interface LimiterRedisOptions {
  /** A command slower than this fails (and the limiter falls back); default 250 ms. */
  commandTimeoutMs?: number;
  connectionName?: string;
}

/**
 * The limiter's own connection. Auto-pipelining is ON: on this machine a socket write costs tens
 * of µs, and coalescing the EVALSHAs of one event-loop tick into one write took the gateway from
 * 349 to 221 µs of CPU per call and from 18 % to 26 % of nginx's throughput (docs/benchmarks.md,
 * quiet-machine rerun). STACK's prototype saw its p99 triple at a steady rate; the open-loop p99
 * here did not move measurably (it is dominated by other stalls). No offline queue and no retries
 * per request, so a Redis outage fails the call at once and the request goes to the fallback
 * instead of waiting in a queue.
 */
export function createLimiterRedis(url: string, options: LimiterRedisOptions = {}): Redis {
  return new Redis(url, {
    connectionName: options.connectionName ?? 'portico-limiter',
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 250,
    // keep reconnecting in the background, at most every 2 s
    retryStrategy: (times) => Math.min(times * 100, 2000),
  });
}
