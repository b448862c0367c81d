/**
 * Broadcast on the EventBus (Redis pub/sub) after a version is published: the message is the API
 * id. Caches of an API's endpoints (gateway routing, plan checks) drop that API's entry.
 */
export const ENDPOINTS_CHANGED_EVENT = 'catalog.endpoints-changed';
