import { API_CHANGED_EVENT, PLANS_CHANGED_EVENT, PlansService, type ApiChangedMessage } from '@app/catalog';
import { EventBus } from '@app/common';
import { REVIEWS_CHANGED_EVENT, type ReviewsChangedMessage } from '@app/reviews';
import { SUBSCRIPTION_CHANGED_EVENT } from '@app/subscriptions';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SearchIndexQueue } from './search-index.queue';

/**
 * Turns domain events (Redis pub/sub) into `search-index` jobs; the worker registers it.
 * - catalog `API_CHANGED_EVENT` (create, edit, publish, approve/reject, deprecate, retire, delete,
 *   visibility) → that listing;
 * - catalog `PLANS_CHANGED_EVENT` (a plan created, edited, superseded, archived: pricing) → its listing;
 * - subscriptions `SUBSCRIPTION_CHANGED_EVENT` (`<consumer>:<apiId>`: subscriber count) → that listing;
 * - reviews `REVIEWS_CHANGED_EVENT` (a review created, edited, deleted, hidden, restored: rating) → that listing.
 * Usage (latency, success rate, calls) has no per-batch event: the scheduled refresh carries it.
 * Pub/sub loses messages while disconnected: on every reconnect a full refresh is queued, and the
 * scheduled refresh (search.refresh-all) bounds any other loss. Several workers each enqueue the
 * same deterministic job id, which BullMQ adds once.
 */
@Injectable()
export class SearchIndexTriggers implements OnApplicationBootstrap {
  private readonly logger = new Logger(SearchIndexTriggers.name);

  constructor(
    private readonly bus: EventBus,
    private readonly queue: SearchIndexQueue,
    private readonly plans: PlansService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.subscribe(API_CHANGED_EVENT, (message) => {
      const { apiId } = JSON.parse(message) as ApiChangedMessage;
      this.enqueue(apiId, 'catalog');
    });
    await this.bus.subscribe(PLANS_CHANGED_EVENT, (planId) => {
      this.plans.findById(planId).then(
        (plan) => plan && this.enqueue(plan.apiId, 'plans'),
        (error: unknown) => this.logger.warn({ err: error, planId }, 'could not resolve a changed plan for search'),
      );
    });
    await this.bus.subscribe(SUBSCRIPTION_CHANGED_EVENT, (message) => {
      const apiId = message.split(':')[1];
      if (apiId) this.enqueue(apiId, 'subscriptions');
    });
    await this.bus.subscribe(REVIEWS_CHANGED_EVENT, (message) => {
      const { apiId } = JSON.parse(message) as ReviewsChangedMessage;
      this.enqueue(apiId, 'reviews');
    });
    this.bus.onReconnect(() => {
      this.queue.refreshAll('event bus reconnected').catch((error: unknown) =>
        this.logger.warn({ err: error }, 'could not queue a search refresh after a reconnect'),
      );
    });
  }

  private enqueue(apiId: string, reason: string): void {
    this.queue.listingChanged(apiId, reason).catch((error: unknown) => {
      // the scheduled refresh picks the change up
      this.logger.warn({ err: error, apiId }, 'could not queue a search-index job');
    });
  }
}
