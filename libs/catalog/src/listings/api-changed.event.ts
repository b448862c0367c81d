/**
 * Broadcast on the EventBus (Redis pub/sub) after anything the gateway caches about an API changes:
 * upstream URLs, timeout, credential, lifecycle status, visibility or proxy secrets. The message
 * is JSON `{ apiId, slug }`; gateway caches drop that API's entry (and keep a TTL, since pub/sub
 * messages are lost while a process is disconnected).
 */
export const API_CHANGED_EVENT = 'catalog.api-changed';

export interface ApiChangedMessage {
  apiId: string;
  slug: string;
}
