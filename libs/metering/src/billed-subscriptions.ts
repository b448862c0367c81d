import { meteredCall, NO_ID } from './usage-aggregation';

/**
 * The subscriptions a usage batch bills (live calls with billable units after fair metering), as
 * distinct lower-case ids: the only ones whose period totals the batch can move, so the only ones
 * usage alerts and spend caps need to look at. Malformed events are ignored (as `applyBatch` does).
 */
export function billedSubscriptionIds(events: readonly unknown[]): string[] {
  const ids = new Set<string>();
  for (const event of events) {
    const call = meteredCall(event);
    if (call && call.billableUnits > 0 && call.subscriptionId && call.subscriptionId !== NO_ID)
      ids.add(call.subscriptionId.toLowerCase());
  }
  return [...ids].sort();
}
