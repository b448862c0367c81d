import { AppError, plainAddress } from '@app/common';
import type { ResolvedApiKey } from '@app/identity';
import { BlockList, isIP } from 'node:net';
import type { DirectorySubscription } from '../resolution/gateway-directory';

/**
 * Step 3 of the call path (DESIGN §3): what the key may do (scopes, IP allowlist, browser origins)
 * and whether the subscription gives access now. Pure functions of cached data; each rejection has
 * its own code and a sentence that says what to do.
 */

const blockLists = new WeakMap<ResolvedApiKey, BlockList>();

/** The key's IP allowlist as a BlockList, built once per cached key record. */
function allowlistOf(key: ResolvedApiKey): BlockList {
  let list = blockLists.get(key);
  if (!list) {
    list = new BlockList();
    for (const rule of key.ipAllowlist) {
      const [address, prefix] = rule.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      list.addSubnet(address, Number(prefix ?? (family === 'ipv6' ? 128 : 32)), family);
    }
    blockLists.set(key, list);
  }
  return list;
}

export interface KeyCallContext {
  slug: string;
  /** The consumer's address (`ClientOrigin.address`: the TCP peer, or what a trusted proxy says). */
  remoteAddress: string | undefined;
  /** The request's Origin header, if any. */
  origin: string | undefined;
}

export function authorizeKey(key: ResolvedApiKey, call: KeyCallContext): AppError | null {
  if (!key.scopes.includes('*') && !key.scopes.includes(`api:${call.slug}`)) {
    return new AppError(
      'scope_denied',
      `This key's scopes (${key.scopes.join(', ')}) do not include api:${call.slug}. Add the scope to the key, or use a key scoped to every API (*).`,
      { scopes: key.scopes, required: `api:${call.slug}` },
    );
  }
  if (key.ipAllowlist.length > 0) {
    const address = plainAddress(call.remoteAddress);
    const family = address ? isIP(address) : 0;
    if (!address || family === 0 || !allowlistOf(key).check(address, family === 6 ? 'ipv6' : 'ipv4')) {
      return new AppError(
        'ip_not_allowed',
        `Calls with this key are only accepted from its IP allowlist, and ${address ?? 'this address'} is not on it. Add it to the key's allowlist or call from an allowed address.`,
        { address },
      );
    }
  }
  const originRequired = key.kind === 'publishable' || key.allowedOrigins.length > 0;
  if (originRequired && call.origin !== undefined && !key.allowedOrigins.includes(call.origin)) {
    return originDenied(call.origin, key);
  }
  if (key.kind === 'publishable' && call.origin === undefined) return originDenied(undefined, key);
  return null;
}

function originDenied(origin: string | undefined, key: ResolvedApiKey): AppError {
  const allowed = key.allowedOrigins.length > 0 ? key.allowedOrigins.join(', ') : 'none yet';
  return new AppError(
    'origin_not_allowed',
    origin === undefined
      ? `A publishable key is only accepted from browsers on its allowed origins (${allowed}), and this call sent no Origin header. Use a secret key from servers.`
      : `The origin ${origin} is not among this key's allowed origins (${allowed}). Add it to the key.`,
    { origin, allowedOrigins: key.allowedOrigins },
  );
}

/**
 * Active and trialing subscriptions give access; past_due ones during billing's dunning grace
 * (`paymentGraceEndsAt`, carried from the subscription), then subscription_inactive until paid; the
 * others say why not.
 */
export function authorizeSubscription(
  sub: DirectorySubscription,
  now: number,
  context: { slug: string; subscribeUrl: string },
): AppError | null {
  if (sub.status === 'pending_approval') {
    return new AppError(
      'subscription_inactive',
      `Your subscription to ${context.slug} is waiting for the provider's approval; calls are accepted once they approve it.`,
      { subscriptionId: sub.subscriptionId, subscriptionStatus: sub.status },
    );
  }
  if (sub.status === 'incomplete') {
    return new AppError(
      'subscription_inactive',
      `Your subscription to ${context.slug} is waiting for its first payment; complete the checkout to start calling.`,
      { subscriptionId: sub.subscriptionId, subscriptionStatus: sub.status },
    );
  }
  if (sub.status === 'past_due' && sub.paymentGraceEndsAt != null && now >= sub.paymentGraceEndsAt) {
    return new AppError(
      'subscription_inactive',
      `Your subscription to ${context.slug} is past due: its last payment failed and the grace period ended. Calls are accepted again once the invoice is paid; update your payment method.`,
      {
        subscriptionId: sub.subscriptionId,
        subscriptionStatus: sub.status,
        graceEndedAt: new Date(sub.paymentGraceEndsAt).toISOString(),
      },
    );
  }
  if (sub.cancelAtPeriodEnd && sub.periodEnd !== null && now >= sub.periodEnd) {
    return new AppError(
      'not_subscribed',
      `Your subscription to ${context.slug} ended with its period. Subscribe again at ${context.subscribeUrl}.`,
      { subscribeUrl: context.subscribeUrl },
    );
  }
  return null;
}
