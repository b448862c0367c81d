import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Inbox of verified Stripe webhook events, keyed by Stripe's event id: a redelivered event is a
 * no-op insert. The api stores and answers 2xx; the worker applies (processedAt) exactly once.
 */
@Entity({ name: 'stripe_events' })
export class StripeEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  id!: string;

  @Index('ix_stripe_events__type')
  @Column({ type: 'varchar', length: 100 })
  type!: string;

  /** Connected account the event is about (Connect events). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  account!: string | null;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ type: 'timestamptz' })
  stripeCreatedAt!: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;

  @Index('ix_stripe_events__unprocessed', { where: 'processed_at IS NULL' })
  @Column({ type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;
}
