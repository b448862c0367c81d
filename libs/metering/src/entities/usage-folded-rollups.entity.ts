import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { FoldedRollupMeasures } from './folded-rollup-measures';

/**
 * The minute rollups per UTC hour, every key column (the view `usage_hour_rollups` adds the
 * pending deltas).
 */
@Entity({ name: 'usage_folded_hour_rollups' })
@Index('ix_usage_folded_hour_rollups__api_id_hour', ['apiId', 'hour'])
@Index('ix_usage_folded_hour_rollups__consumer_account_id_hour', ['consumerAccountId', 'hour'])
// a consumer's hourly usage filtered by key (the consumer index would read every key's rows)
@Index('ix_usage_folded_hour_rollups__key_id_hour', ['keyId', 'hour'])
export class UsageFoldedHourRollupEntity extends FoldedRollupMeasures {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_hour_rollups' })
  subscriptionId!: string;

  /** Start of the UTC hour. */
  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_folded_hour_rollups' })
  hour!: Date;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_hour_rollups' })
  applicationId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_hour_rollups' })
  keyId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_hour_rollups' })
  apiId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_hour_rollups' })
  endpointId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_hour_rollups' })
  planId!: string;

  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'pk_usage_folded_hour_rollups' })
  statusClass!: number;

  @Column({ type: 'uuid' })
  consumerAccountId!: string;

  @Column({ type: 'varchar', length: 4 })
  mode!: 'live' | 'test';
}

/**
 * The minute rollups per UTC day, every key column (the view `usage_day_rollups` adds the pending
 * deltas).
 */
@Entity({ name: 'usage_folded_day_rollups' })
@Index('ix_usage_folded_day_rollups__api_id_day', ['apiId', 'day'])
@Index('ix_usage_folded_day_rollups__consumer_account_id_day', ['consumerAccountId', 'day'])
export class UsageFoldedDayRollupEntity extends FoldedRollupMeasures {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_day_rollups' })
  subscriptionId!: string;

  /** Start of the UTC day. */
  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_folded_day_rollups' })
  day!: Date;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_day_rollups' })
  applicationId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_day_rollups' })
  keyId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_day_rollups' })
  apiId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_day_rollups' })
  endpointId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_day_rollups' })
  planId!: string;

  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'pk_usage_folded_day_rollups' })
  statusClass!: number;

  @Column({ type: 'uuid' })
  consumerAccountId!: string;

  @Column({ type: 'varchar', length: 4 })
  mode!: 'live' | 'test';
}
