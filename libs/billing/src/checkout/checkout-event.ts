import type { CompletedCheckout } from './checkout-completions.port';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** A Stripe reference that is either an id or an expanded object with an id. */
function ref(value: unknown): string | null {
  if (typeof value === 'string') return str(value);
  if (value && typeof value === 'object') return str((value as { id?: unknown }).id);
  return null;
}

/**
 * The Portico checkout a `checkout.session.completed` / `checkout.session.async_payment_succeeded`
 * event reports: null when the session is not one of Portico's subscription checkouts (another
 * integration on the same Stripe account, a payment-mode session), `awaiting_payment` while a
 * delayed payment method has not succeeded yet.
 */
export function completedCheckoutOf(
  payload: Record<string, unknown>,
): CompletedCheckout | 'awaiting_payment' | null {
  const data = payload.data as { object?: unknown } | undefined;
  const session = data?.object as Record<string, unknown> | undefined;
  if (!session || session.object !== 'checkout.session' || session.mode !== 'subscription') return null;
  const metadata = (session.metadata ?? {}) as Record<string, unknown>;
  const subscriptionId = str(session.client_reference_id) ?? str(metadata.subscriptionId);
  if (subscriptionId === null || !UUID.test(subscriptionId)) return null;
  const sessionId = str(session.id);
  if (sessionId === null) return null;
  if (session.payment_status !== 'paid' && session.payment_status !== 'no_payment_required')
    return 'awaiting_payment';
  return {
    sessionId,
    subscriptionId: subscriptionId.toLowerCase(),
    customerId: ref(session.customer),
    providerSubscriptionId: ref(session.subscription),
  };
}
