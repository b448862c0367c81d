/**
 * Broadcast on the EventBus (Redis pub/sub) after a subscription changed state or plan; the message
 * is `<consumerAccountId>:<apiId>` (the gateway's cache key), so every gateway instance drops its
 * entry and re-reads.
 */
export const SUBSCRIPTION_CHANGED_EVENT = 'subscriptions.subscription-changed';
