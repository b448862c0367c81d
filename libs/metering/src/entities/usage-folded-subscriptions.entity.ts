import { Entity, Index, PrimaryColumn } from 'typeorm';
import { FoldedRollupMeasures } from './folded-rollup-measures';

/**
 * The minute rollups per UTC hour and subscription (no application, key or endpoint): consumers'
 * usage and periods, providers' per-consumer totals, platform totals.
 */
@Entity({ name: 'usage_folded_hour_subscriptions' })
@Index('ix_usage_folded_hour_subscriptions__api_id_hour', ['apiId', 'hour'])
@Index('ix_usage_folded_hour_subscriptions__consumer_account_id_hour', ['consumerAccountId', 'hour'])
export class UsageFoldedHourSubscriptionEntity extends FoldedRollupMeasures {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_hour_subscriptions' })
  subscriptionId!: string;

  /** Start of the UTC hour. */
  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_folded_hour_subscriptions' })
  hour!: Date;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_hour_subscriptions' })
  consumerAccountId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_hour_subscriptions' })
  apiId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_hour_subscriptions' })
  planId!: string;

  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'pk_usage_folded_hour_subscriptions' })
  statusClass!: number;
}

/**
 * The minute rollups per UTC day and subscription (no application, key or endpoint): consumers'
 * usage and periods, providers' per-consumer totals, platform totals.
 */
@Entity({ name: 'usage_folded_day_subscriptions' })
@Index('ix_usage_folded_day_subscriptions__api_id_day', ['apiId', 'day'])
@Index('ix_usage_folded_day_subscriptions__consumer_account_id_day', ['consumerAccountId', 'day'])
@Index('ix_usage_folded_day_subscriptions__day', ['day'])
export class UsageFoldedDaySubscriptionEntity extends FoldedRollupMeasures {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_day_subscriptions' })
  subscriptionId!: string;

  /** Start of the UTC day. */
  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_folded_day_subscriptions' })
  day!: Date;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_day_subscriptions' })
  consumerAccountId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_day_subscriptions' })
  apiId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_day_subscriptions' })
  planId!: string;

  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'pk_usage_folded_day_subscriptions' })
  statusClass!: number;
}
