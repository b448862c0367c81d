/**
 * The ONE place the period-quota counter's Redis key, period key and expiry are spelled: the
 * limiter (`limiterKeys`, the Lua script's KEYS[3] and ARGV[13..14]) and the quota reconciliation
 * (`QuotaReconciler`, run by the worker) both build them here.
 */

/** How long a quota counter outlives its period, so reconciliation can still read it. */
export const QUOTA_COUNTER_GRACE_MS = 24 * 3600 * 1000;

/** `{prefix}:gw:{<subscriptionId>}`: the subscription id is the Redis Cluster hash tag of all its limiter keys. */
export function limiterKeyBase(prefix: string, subscriptionId: string): string {
  return `${prefix}:gw:{${subscriptionId}}`;
}

/**
 * Identifies a quota period: the ISO-8601 instant of the period start (epoch ms or Date), or
 * `none` while no period runs. A new period start is a new key, so a new counter from 0.
 */
export function quotaPeriodKey(periodStart: number | Date | null): string {
  if (periodStart === null) return 'none';
  return new Date(periodStart).toISOString();
}

/** `{prefix}:gw:{<subscriptionId>}:quota:<periodKey>`: units used in the period (a Redis string). */
export function quotaCounterKey(prefix: string, subscriptionId: string, periodKey: string): string {
  return `${limiterKeyBase(prefix, subscriptionId)}:quota:${periodKey}`;
}

/** When the counter expires (epoch ms): the period end plus the grace (but see `quotaCounterTtlMs`). */
export function quotaCounterExpiresAt(periodEndsAt: number): number {
  return Math.round(periodEndsAt + QUOTA_COUNTER_GRACE_MS);
}

/** The counter's time to live from `nowMs`: until the period end plus the grace, never less than the grace. */
export function quotaCounterTtlMs(periodEndsAt: number, nowMs: number): number {
  return Math.max(QUOTA_COUNTER_GRACE_MS, quotaCounterExpiresAt(periodEndsAt) - Math.round(nowMs));
}
