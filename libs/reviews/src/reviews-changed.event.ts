/**
 * Broadcast on the EventBus (Redis pub/sub) after a commit that changed an API's visible reviews
 * and so its aggregates: a review created, edited, deleted, hidden or restored. The message is JSON
 * `{ "apiId": "…" }`; libs/search re-reads `ReviewsService.aggregatesFor([apiId])` and reindexes.
 * Pub/sub loses messages while a subscriber is disconnected: consumers also reconcile on reconnect.
 */
export const REVIEWS_CHANGED_EVENT = 'reviews.changed';

export interface ReviewsChangedMessage {
  apiId: string;
}
