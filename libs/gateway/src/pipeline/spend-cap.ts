import { AppError } from '@app/common';
import type { DirectorySubscription } from '../resolution/gateway-directory';

/**
 * The consumer's overage spend cap (libs/subscriptions "Alerts and caps"): once the worker found it
 * reached in the current period, live calls are refused instead of billing more overage, until the
 * period ends (`Retry-After`) or the consumer raises or removes the cap. Test calls are never
 * billed, so never capped. The cap is enforced after metering applied the usage, so a few calls
 * may pass it by the metering lag (seconds).
 */
export function spendCapRejection(
  sub: DirectorySubscription,
  mode: 'live' | 'test',
  now: number,
  manageUrl: string,
): AppError | null {
  const cap = sub.spendCapReached;
  if (!cap || mode !== 'live' || sub.periodEnd === null || now >= sub.periodEnd) return null;
  const retryAfter = Math.max(1, Math.ceil((sub.periodEnd - now) / 1000));
  const periodEnd = new Date(sub.periodEnd).toISOString();
  const amount = majorUnits(cap.amountMinor, cap.currencyMinorUnits);
  return new AppError(
    'spend_cap_reached',
    `Your overage spend cap of ${cap.currency} ${amount} on the ${sub.planName} plan is reached for this period, so live calls are refused instead of billing more overage until the period ends at ${periodEnd}. ` +
      `To keep calling now, raise or remove the cap (PUT /v1/subscriptions/${sub.subscriptionId}/spend-cap, or ${manageUrl}).`,
    {
      subscriptionId: sub.subscriptionId,
      plan: sub.planName,
      capAmountMinor: cap.amountMinor,
      currency: cap.currency,
      periodEnd,
      retryAfter,
      manageUrl,
    },
    { 'Retry-After': String(retryAfter) },
  );
}

/** 1234, 2 → "12.34" (exact: string arithmetic, no float). */
function majorUnits(amountMinor: number, digits: number): string {
  if (digits === 0) return String(amountMinor);
  const padded = String(amountMinor).padStart(digits + 1, '0');
  return `${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}
