import { Entity, PrimaryColumn } from 'typeorm';
import { FoldedRollupMeasures } from './folded-rollup-measures';

/**
 * The minute rollups per UTC hour, API, endpoint, plan and status class: providers' per-endpoint
 * totals.
 */
@Entity({ name: 'usage_folded_hour_endpoints' })
export class UsageFoldedHourEndpointEntity extends FoldedRollupMeasures {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_hour_endpoints' })
  apiId!: string;

  /** Start of the UTC hour. */
  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_folded_hour_endpoints' })
  hour!: Date;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_hour_endpoints' })
  endpointId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_hour_endpoints' })
  planId!: string;

  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'pk_usage_folded_hour_endpoints' })
  statusClass!: number;
}

/**
 * The minute rollups per UTC day, API, endpoint, plan and status class: providers' per-endpoint
 * totals.
 */
@Entity({ name: 'usage_folded_day_endpoints' })
export class UsageFoldedDayEndpointEntity extends FoldedRollupMeasures {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_day_endpoints' })
  apiId!: string;

  /** Start of the UTC day. */
  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_folded_day_endpoints' })
  day!: Date;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_day_endpoints' })
  endpointId!: string;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_day_endpoints' })
  planId!: string;

  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'pk_usage_folded_day_endpoints' })
  statusClass!: number;
}
