import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Usage per UTC minute per (subscription, application, key, API, endpoint, plan, status class):
 * what billing and analytics read. Rows only grow, by `INSERT … ON CONFLICT DO UPDATE` adding the
 * batch's counts (histograms element-wise). "None" in a key column is the nil UUID (`NO_ID`):
 * calls rejected before a subscription, API or endpoint was resolved are counted too.
 * Triggers append every write's change to `usage_rollup_deltas`, folded into the hour and day
 * tables by RollupFoldService; the views `usage_hour_rollups` / `usage_day_rollups` are the exact
 * hour and day totals (migration `usage-hour-day-rollups`).
 */
@Entity({ name: 'usage_minute_rollups' })
@Index('ix_usage_minute_rollups__api_id_minute', ['apiId', 'minute'])
@Index('ix_usage_minute_rollups__consumer_account_id_minute', ['consumerAccountId', 'minute'])
// platform-wide analytics (admin totals per day) read a time range across every subscription
@Index('ix_usage_minute_rollups__minute', ['minute'])
export class UsageMinuteRollupEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_minute_rollups' })
  subscriptionId!: string;

  /** Start of the UTC minute. */
  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_minute_rollups' })
  minute!: Date;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_minute_rollups' })
  applicationId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_minute_rollups' })
  keyId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_minute_rollups' })
  apiId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_minute_rollups' })
  endpointId!: string;

  /** The plan the call was made on (a plan change mid-minute makes a second row). */
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_minute_rollups' })
  planId!: string;

  /** HTTP status / 100: 1 … 5. */
  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'pk_usage_minute_rollups' })
  statusClass!: number;

  /** Owner of the application (an application never changes owner). */
  @Column({ type: 'uuid' })
  consumerAccountId!: string;

  /** live | test: fixed by the key. */
  @Column({ type: 'varchar', length: 4 })
  mode!: 'live' | 'test';

  @Column({ type: 'bigint', default: 0 })
  calls!: string;

  /** Calls answered with status ≥ 400. */
  @Column({ type: 'bigint', default: 0 })
  errors!: string;

  @Column({ type: 'bigint', default: 0 })
  bytesIn!: string;

  @Column({ type: 'bigint', default: 0 })
  bytesOut!: string;

  /** After fair metering: 0 for test calls, status ≥ 500 and gateway-generated answers. */
  @Column({ type: 'bigint', default: 0 })
  billableUnits!: string;

  /** Of billableUnits, the units over a soft quota. */
  @Column({ type: 'bigint', default: 0 })
  overageUnits!: string;

  @Column({ type: 'bigint', default: 0 })
  latencyMsSum!: string;

  /** Counts per bucket of LATENCY_BUCKET_BOUNDS_MS (+ overflow). */
  @Column({ type: 'integer', array: true })
  latencyHistogram!: number[];
}
