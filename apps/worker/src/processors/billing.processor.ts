import { StripeInboxService, type ApplyOutcome } from '@app/billing';
import { JobHandler, type JobPayloads } from '@app/common';
import { Injectable } from '@nestjs/common';

/** Jobs of libs/billing. */
@Injectable()
export class BillingProcessor {
  constructor(private readonly inbox: StripeInboxService) {}

  /**
   * A Stripe event the api stored in the inbox. Safe to redeliver: an event already processed
   * returns early, and the effect commits together with `processed_at`.
   */
  @JobHandler('billing.apply-stripe-event')
  async applyStripeEvent(
    payload: JobPayloads['billing.apply-stripe-event'],
  ): Promise<{ outcome: ApplyOutcome }> {
    return { outcome: await this.inbox.apply(payload.eventId) };
  }
}
