import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** Payout readiness as the PaymentsPort reports it. `ready` is required to publish a paid plan. */
export type PayoutStatus = 'not_started' | 'pending' | 'ready' | 'restricted';

/** An account's provider profile (at most one per account). */
@Entity({ name: 'providers' })
export class ProviderEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('uq_providers__owner_account_id', { unique: true })
  @Column({ type: 'uuid' })
  ownerAccountId!: string;

  @Column({ type: 'varchar', length: 100 })
  displayName!: string;

  @Index('uq_providers__slug', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  slug!: string;

  @Column({ type: 'varchar', length: 254 })
  supportEmail!: string;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  websiteUrl!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'not_started' })
  payoutStatus!: PayoutStatus;

  /** Stripe Connect account (payments = stripe). */
  @Index('uq_providers__stripe_account_id', { unique: true, where: 'stripe_account_id IS NOT NULL' })
  @Column({ type: 'varchar', length: 64, nullable: true })
  stripeAccountId!: string | null;

  @Column({ type: 'boolean', default: false })
  chargesEnabled!: boolean;

  @Column({ type: 'boolean', default: false })
  payoutsEnabled!: boolean;

  /** Outstanding onboarding requirements (Stripe `requirements.currently_due`). */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  payoutRequirements!: string[];

  /** Admin override of PLATFORM_FEE_BPS for this provider (billing). */
  @Column({ type: 'integer', nullable: true })
  feeBpsOverride!: number | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
