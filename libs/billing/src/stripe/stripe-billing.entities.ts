import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** Stripe subscription statuses after which it charges nothing more (nothing to change there). */
export const STRIPE_ENDED_STATUSES: ReadonlySet<string> = new Set(['canceled', 'incomplete_expired']);

/**
 * A Portico subscription collected by a Stripe subscription (PAYMENTS=stripe): written when its
 * Checkout completes, refreshed from Stripe's object on every `customer.subscription.*` and
 * `invoice.*` event (never from the event's order). Billing's own copy, so it never reads the
 * `subscriptions` table of libs/subscriptions.
 */
@Entity({ name: 'billing_stripe_subscriptions' })
@Index('uq_billing_stripe_subscriptions__stripe_subscription_id', ['stripeSubscriptionId'], { unique: true })
export class StripeSubscriptionLinkEntity {
  /** Portico's subscription id. */
  @PrimaryColumn({ type: 'uuid' })
  subscriptionId!: string;

  @Column({ type: 'varchar', length: 255 })
  stripeCustomerId!: string;

  @Column({ type: 'varchar', length: 255 })
  stripeSubscriptionId!: string;

  /** Stripe's status as last read from Stripe (`active`, `past_due`, `canceled`, …). */
  @Column({ type: 'varchar', length: 32 })
  stripeStatus!: string;

  @Column({ type: 'timestamptz', nullable: true })
  currentPeriodStart!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  currentPeriodEnd!: Date | null;

  /** Usage is reported to Stripe for every window before this instant (the reporter's cursor). */
  @Column({ type: 'timestamptz' })
  usageReportedUntil!: Date;

  /** Every window before this instant was checked again for usage that landed after its report (the late-usage cursor). */
  @Column({ type: 'timestamptz' })
  usageRecheckedUntil!: Date;

  /** Every window before this instant was read once more after its Stripe period ended (the period sweep's cursor). */
  @Column({ type: 'timestamptz' })
  usageSweptUntil!: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

/**
 * One usage window of one subscription reported to Stripe as a meter event: the units are fixed
 * when the row is written (before the Stripe call), so a rerun after a crash sends the same
 * request with the same idempotency key and the same meter-event identifier.
 */
@Entity({ name: 'billing_usage_reports' })
@Index('uq_billing_usage_reports__identifier', ['identifier'], { unique: true })
@Index('ix_billing_usage_reports__unreported', ['createdAt'], { where: 'reported_at IS NULL' })
export class UsageReportEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_billing_usage_reports' })
  subscriptionId!: string;

  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'pk_billing_usage_reports' })
  windowStart!: Date;

  /** 0: the window's report; 1, 2, …: units that landed in the window after it was reported (`UsageReporter`). */
  @PrimaryColumn({ type: 'int', default: 0, primaryKeyConstraintName: 'pk_billing_usage_reports' })
  revision!: number;

  @Column({ type: 'timestamptz' })
  windowEnd!: Date;

  /** Overage units of the window, from the metering rollups (a revision: those found since the revisions before). */
  @Column({ type: 'bigint' })
  units!: string;

  /** `<subscriptionId>:<windowStart ISO>` (`:<revision>` after it for a revision): the meter event's identifier. */
  @Column({ type: 'varchar', length: 128 })
  identifier!: string;

  @Column({ type: 'timestamptz', nullable: true })
  reportedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

export type RefundStatus = 'pending' | 'succeeded';
export type RefundInitiator = 'admin' | 'provider' | 'stripe';

/**
 * A refund of (part of) a paid invoice: its credit note carries the proportional reversal of fee
 * and share; this row carries the money movement through the PaymentsPort. `pending` until the
 * payment provider confirmed it (a crash in between is completed by the sweeper with the same
 * idempotency key).
 */
@Entity({ name: 'billing_refunds' })
@Index('uq_billing_refunds__credit_note_id', ['creditNoteId'], { unique: true })
@Index('uq_billing_refunds__stripe_refund_id', ['stripeRefundId'], {
  unique: true,
  where: 'stripe_refund_id IS NOT NULL',
})
@Index('ix_billing_refunds__invoice_id', ['invoiceId'])
@Index('uq_billing_refunds__request_key', ['requestKey'], { unique: true, where: 'request_key IS NOT NULL' })
@Index('ix_billing_refunds__pending', ['createdAt'], { where: `status = 'pending'` })
export class RefundEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  invoiceId!: string;

  @Column({ type: 'uuid' })
  creditNoteId!: string;

  @Column({ type: 'uuid' })
  providerId!: string;

  @Column({ type: 'bigint' })
  amountMinor!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ type: 'bigint' })
  feeAmountMinor!: string;

  @Column({ type: 'bigint' })
  providerShareAmountMinor!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: RefundStatus;

  @Column({ type: 'varchar', length: 16 })
  initiatedBy!: RefundInitiator;

  @Column({ type: 'uuid', nullable: true })
  initiatorAccountId!: string | null;

  @Column({ type: 'varchar', length: 500 })
  reason!: string;

  /** `<account id>:<Idempotency-Key>` of the request that asked for it: a retried request finds this refund, never makes a second. */
  @Column({ type: 'varchar', length: 300, nullable: true })
  requestKey!: string | null;

  /** Stripe's refund (`re_…`), or the local adapter's reference. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  stripeRefundId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  completedAt!: Date | null;
}

/** A dispute (chargeback) Stripe opened on a charge of one of our invoices (`charge.dispute.created`). */
@Entity({ name: 'billing_disputes' })
@Index('uq_billing_disputes__stripe_dispute_id', ['stripeDisputeId'], { unique: true })
@Index('ix_billing_disputes__invoice_id', ['invoiceId'])
@Index('ix_billing_disputes__share_reversal_pending', ['shareReversalAttemptedAt'], {
  where: '"share_reversal_minor" IS NOT NULL AND "share_reversed_at" IS NULL',
})
export class DisputeEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 255 })
  stripeDisputeId!: string;

  @Column({ type: 'uuid', nullable: true })
  invoiceId!: string | null;

  @Column({ type: 'bigint' })
  amountMinor!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ type: 'varchar', length: 64 })
  status!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  reason!: string | null;

  /** Stripe's closing status (`won`, `lost`, `warning_closed`) once `charge.dispute.closed` applied; null while open. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  outcome!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  closedAt!: Date | null;

  /** The credit note a lost dispute issued (the split reversed like a refund). */
  @Column({ type: 'uuid', nullable: true })
  creditNoteId!: string | null;

  /** The disputed charge (null for disputes recorded before it was kept). */
  @Column({ type: 'varchar', length: 255, nullable: true })
  stripeChargeId!: string | null;

  /** A lost dispute on a destination charge: the provider's share′ to take back from its transfer (minor units). */
  @Column({ type: 'bigint', nullable: true })
  shareReversalMinor!: string | null;

  /** Stripe's transfer reversal id, once the share came back. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  shareReversalReference!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  shareReversedAt!: Date | null;

  @Column({ type: 'int', default: 0 })
  shareReversalAttempts!: number;

  @Column({ type: 'timestamptz', nullable: true })
  shareReversalAttemptedAt!: Date | null;

  /** Why the last attempt failed (Stripe's message), shown to admins; null once reversed. */
  @Column({ type: 'text', nullable: true })
  shareReversalError!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

export type DunningOutcome = 'recovered' | 'exhausted' | 'void';

/**
 * Dunning of one unpaid invoice (README "Failed payments"): retries on DUNNING_RETRY_SCHEDULE,
 * the subscription past_due until `graceEndsAt` (the gateway then refuses calls), canceled after
 * the last failed retry.
 */
@Entity({ name: 'billing_dunning' })
@Index('ix_billing_dunning__next_attempt_at', ['nextAttemptAt'], { where: 'ended_at IS NULL' })
export class DunningEntity {
  @PrimaryColumn({ type: 'uuid' })
  invoiceId!: string;

  @Column({ type: 'uuid' })
  subscriptionId!: string;

  @Column({ type: 'uuid' })
  consumerAccountId!: string;

  @Column({ type: 'timestamptz' })
  startedAt!: Date;

  /** Retries made so far (the failed first attempt is not counted). */
  @Column({ type: 'integer', default: 0 })
  retries!: number;

  @Column({ type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  @Column({ type: 'timestamptz' })
  graceEndsAt!: Date;

  @Column({ type: 'varchar', length: 16, nullable: true })
  outcome!: DunningOutcome | null;

  @Column({ type: 'timestamptz', nullable: true })
  endedAt!: Date | null;
}

/** A difference the reconciliation job found between Portico's state and Stripe's object. */
@Entity({ name: 'billing_drifts' })
@Index('uq_billing_drifts__object_field', ['objectType', 'objectId', 'field'], { unique: true })
export class DriftEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** `subscription` | `invoice`. */
  @Column({ type: 'varchar', length: 32 })
  objectType!: string;

  /** Portico's id of the object. */
  @Column({ type: 'uuid' })
  objectId!: string;

  @Column({ type: 'varchar', length: 255 })
  stripeId!: string;

  @Column({ type: 'varchar', length: 64 })
  field!: string;

  @Column({ type: 'varchar', length: 255 })
  localValue!: string;

  @Column({ type: 'varchar', length: 255 })
  stripeValue!: string;

  @Column({ type: 'timestamptz' })
  detectedAt!: Date;

  /** Set when a later run found them equal again. */
  @Column({ type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;
}
