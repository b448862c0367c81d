import { EventBus } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import { API_CHANGED_EVENT, type ApiChangedMessage } from './api-changed.event';

/** Tells other processes (the gateway's caches) that an API changed. Never fails the caller. */
@Injectable()
export class ListingEventsService {
  private readonly logger = new Logger(ListingEventsService.name);

  constructor(private readonly bus: EventBus) {}

  async apiChanged(message: ApiChangedMessage): Promise<void> {
    try {
      await this.bus.publish(API_CHANGED_EVENT, JSON.stringify(message));
    } catch (error) {
      // the change is committed; caches catch up through their TTL
      this.logger.warn({ err: error, apiId: message.apiId }, 'could not broadcast catalog.api-changed');
    }
  }
}
