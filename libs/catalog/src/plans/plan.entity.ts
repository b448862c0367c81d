import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { ApiListingEntity } from '../listings/api-listing.entity';

export type QuotaPeriod = 'month' | 'day';
export type QuotaMode = 'hard' | 'soft';
export type PlanVisibility = 'public' | 'private';
/** active: subscribable; superseded: replaced by a newer version (subscribers keep it); archived: closed. */
export type PlanStatus = 'active' | 'superseded' | 'archived';

export interface RateLimit {
  perSecond?: number;
  perMinute?: number;
  perHour?: number;
  /** Extra requests allowed above perSecond in a burst. */
  burst?: number;
}

/**
 * A pricing plan. A plan that has subscribers is never mutated: a change creates a new version
 * (same familyId, version + 1) and the old one becomes `superseded`.
 */
@Entity({ name: 'plans' })
@Index('uq_plans__family_version', ['familyId', 'version'], { unique: true })
export class PlanEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('ix_plans__api_id')
  @Column({ type: 'uuid' })
  apiId!: string;

  @ManyToOne(() => ApiListingEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'api_id', foreignKeyConstraintName: 'fk_plans__api_id' })
  api?: ApiListingEntity;

  @Column({ type: 'uuid' })
  familyId!: string;

  @Column({ type: 'integer', default: 1 })
  version!: number;

  @Column({ type: 'varchar', length: 50 })
  name!: string;

  @Column({ type: 'varchar', length: 500, default: '' })
  description!: string;

  /** Monthly price in minor units (0 = free). */
  @Column({ type: 'bigint', default: 0 })
  priceAmountMinor!: string;

  @Column({ type: 'char', length: 3, default: 'USD' })
  currency!: string;

  @Column({ type: 'varchar', length: 8, default: 'month' })
  quotaPeriod!: QuotaPeriod;

  /** Calls (billing units) per period; null = unlimited. */
  @Column({ type: 'bigint', nullable: true })
  quotaLimit!: string | null;

  @Column({ type: 'varchar', length: 8, default: 'hard' })
  quotaMode!: QuotaMode;

  /** Price of one unit over the quota (soft mode), in minor units, exact decimal (e.g. 0.05). */
  @Column({ type: 'numeric', precision: 20, scale: 10, nullable: true })
  overageUnitPriceMinor!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  rateLimit!: RateLimit;

  /** null = every endpoint; otherwise "METHOD /path" keys. */
  @Column({ type: 'text', array: true, nullable: true })
  includedEndpoints!: string[] | null;

  /** "METHOD /path" → billing units per call (default 1). */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  endpointWeights!: Record<string, number>;

  /** "METHOD /path" → the endpoint's own rate limit. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  endpointRateLimits!: Record<string, RateLimit>;

  @Column({ type: 'varchar', length: 16, default: 'public' })
  visibility!: PlanVisibility;

  @Column({ type: 'boolean', default: false })
  approvalRequired!: boolean;

  @Column({ type: 'integer', default: 0 })
  trialDays!: number;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status!: PlanStatus;

  @Column({ type: 'uuid', nullable: true })
  supersededByPlanId!: string | null;

  @Column({ type: 'integer', default: 0 })
  sortOrder!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
