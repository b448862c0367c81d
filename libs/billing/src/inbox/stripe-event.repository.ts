import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { VerifiedPaymentEvent } from '../payments/payments.port';
import { StripeEventEntity } from './stripe-event.entity';

/** The `stripe_events` inbox: one row per Stripe event id, written by the api, applied by the worker. */
@Injectable()
export class StripeEventRepository {
  constructor(@InjectRepository(StripeEventEntity) private readonly repo: Repository<StripeEventEntity>) {}

  /** Stores the event unless its id is stored already; true when this call stored it. */
  async insertIfAbsent(event: VerifiedPaymentEvent, receivedAt: Date): Promise<boolean> {
    const rows = await this.repo.query<{ id: string }[]>(
      `INSERT INTO stripe_events (id, type, account, payload, stripe_created_at, received_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO NOTHING
       RETURNING id`,
      [event.id, event.type, event.account, JSON.stringify(event.payload), event.createdAt, receivedAt],
    );
    return rows.length > 0;
  }

  find(id: string): Promise<StripeEventEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Reads the event and locks its row until the transaction ends (one applier at a time). */
  lockForApply(manager: EntityManager, id: string): Promise<StripeEventEntity | null> {
    return manager
      .getRepository(StripeEventEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** `attempts` counts every apply attempt, the successful one included. */
  async markProcessed(manager: EntityManager, id: string, at: Date): Promise<void> {
    await manager
      .getRepository(StripeEventEntity)
      .createQueryBuilder()
      .update()
      .set({ processedAt: at, lastError: null, attempts: () => 'attempts + 1' })
      .where('id = :id', { id })
      .execute();
  }

  async recordFailure(id: string, message: string): Promise<void> {
    await this.repo
      .createQueryBuilder()
      .update()
      .set({ attempts: () => 'attempts + 1', lastError: message.slice(0, 2000) })
      .where('id = :id', { id })
      .execute();
  }
}
