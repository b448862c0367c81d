/**
 * Broadcast on the EventBus (Redis pub/sub) after an existing plan changed (edited in place,
 * superseded by a new version, archived): the message is the plan id. Caches holding the plan
 * (the gateway's subscription → plan entry) drop it and re-read.
 */
export const PLANS_CHANGED_EVENT = 'catalog.plans-changed';
