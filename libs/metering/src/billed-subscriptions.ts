import { NO_ID, type MeteredCall } from './usage-aggregation';

/**
 * The subscriptions a usage batch bills (live calls with billable units after fair metering), as
 * distinct lower-case ids: the only ones whose period totals the batch can move, so the only ones
 * usage alerts and spend caps need to look at. Takes the batch's checked calls (`meteredCall`), so
 * malformed events are already out.
 */
export function billedSubscriptionIds(calls: readonly MeteredCall[]): string[] {
  const ids = new Set<string>();
  for (const call of calls) {
    if (call.billableUnits > 0 && call.subscriptionId && call.subscriptionId !== NO_ID)
      ids.add(call.subscriptionId);
  }
  return [...ids].sort();
}
