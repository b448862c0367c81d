import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Why a period closed (README "Time semantics"). */
export type PeriodCloseReason = 'ended' | 'canceled';
/** What rating a close came to: an invoice, or nothing to charge. */
export type PeriodCloseOutcome = 'invoiced' | 'free' | 'stripe';

/**
 * The outbox of closed subscription periods: libs/subscriptions writes one row in the same
 * transaction as the period roll (through `PeriodCloses.record`), the `billing.rate-period` job
 * rates it. One row per (subscription, period start).
 */
@Entity({ name: 'billing_period_closes' })
@Index('uq_billing_period_closes__subscription_period', ['subscriptionId', 'periodStart'], { unique: true })
@Index('ix_billing_period_closes__unrated', ['closedAt'], { where: 'rated_at IS NULL' })
export class PeriodCloseEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  subscriptionId!: string;

  @Column({ type: 'uuid' })
  consumerAccountId!: string;

  @Column({ type: 'uuid' })
  providerId!: string;

  @Column({ type: 'uuid' })
  apiId!: string;

  /** The plan held when the period closed. */
  @Column({ type: 'uuid' })
  planId!: string;

  @Column({ type: 'timestamptz' })
  periodStart!: Date;

  /** Billing stops here: the period end, or the cancellation instant. */
  @Column({ type: 'timestamptz' })
  periodEnd!: Date;

  /** The natural end of the period (proration denominator). */
  @Column({ type: 'timestamptz' })
  fullPeriodEnd!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  trialEndsAt!: Date | null;

  @Column({ type: 'varchar', length: 16 })
  reason!: PeriodCloseReason;

  @Column({ type: 'timestamptz' })
  closedAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  ratedAt!: Date | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  outcome!: PeriodCloseOutcome | null;

  @Column({ type: 'uuid', nullable: true })
  invoiceId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
