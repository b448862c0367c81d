import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { SubscriptionStatus } from './subscription-state';

/**
 * A consumer's subscription to one plan of one API (README "States"). At most one live
 * subscription per (consumer, API), enforced by `uq_subscriptions__live_consumer_api`.
 *
 * The ids of other libs' rows (account, API, provider, plan) carry no foreign keys: those tables
 * belong to identity and catalog (DESIGN §2), and their rows are never hard-deleted while a
 * subscription can reference them.
 */
@Entity({ name: 'subscriptions' })
@Index('uq_subscriptions__live_consumer_api', ['consumerAccountId', 'apiId'], {
  unique: true,
  where: `status IN ('pending_approval', 'incomplete', 'trialing', 'active', 'past_due')`,
})
@Index('ix_subscriptions__provider_id_status', ['providerId', 'status'])
@Index('ix_subscriptions__plan_id_status', ['planId', 'status'])
// the period scheduler's "due" scan (README "Time"): running periods by end, trials by end
@Index('ix_subscriptions__running_period_end', ['currentPeriodEnd'], {
  where: `status IN ('trialing', 'active', 'past_due')`,
})
@Index('ix_subscriptions__trial_ends_at', ['trialEndsAt'], { where: `status = 'trialing'` })
export class SubscriptionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('ix_subscriptions__consumer_account_id')
  @Column({ type: 'uuid' })
  consumerAccountId!: string;

  @Column({ type: 'uuid' })
  apiId!: string;

  /** The API's provider (a listing never changes provider): scopes the provider's routes. */
  @Column({ type: 'uuid' })
  providerId!: string;

  @Column({ type: 'uuid' })
  planId!: string;

  @Column({ type: 'varchar', length: 24 })
  status!: SubscriptionStatus;

  /** Where monthly periods are counted from; null until access starts (pending, incomplete). */
  @Column({ type: 'timestamptz', nullable: true })
  anchor!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  currentPeriodStart!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  currentPeriodEnd!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  trialEndsAt!: Date | null;

  @Column({ type: 'boolean', default: false })
  cancelAtPeriodEnd!: boolean;

  @Column({ type: 'timestamptz', nullable: true })
  canceledAt!: Date | null;

  /** The Stripe customer Checkout created for this subscription's payments (PAYMENTS=stripe), else null. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  stripeCustomerId!: string | null;

  /** The Stripe subscription Checkout created (renewals and invoices refer to it), else null. */
  @Index('uq_subscriptions__stripe_subscription_id', {
    unique: true,
    where: 'stripe_subscription_id IS NOT NULL',
  })
  @Column({ type: 'varchar', length: 255, nullable: true })
  stripeSubscriptionId!: string | null;

  /** past_due only: the gateway keeps answering until this instant, then refuses with subscription_inactive (billing's dunning sets it). */
  @Column({ type: 'timestamptz', nullable: true })
  paymentGraceEndsAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
