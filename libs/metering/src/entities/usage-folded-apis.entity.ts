import { Entity, PrimaryColumn } from 'typeorm';
import { FoldedRollupMeasures } from './folded-rollup-measures';

/**
 * The minute rollups per UTC hour, API, plan and status class: providers' per-API and per-plan
 * totals and series.
 */
@Entity({ name: 'usage_folded_hour_apis' })
export class UsageFoldedHourApiEntity extends FoldedRollupMeasures {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_hour_apis' })
  apiId!: string;

  /** Start of the UTC hour. */
  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_folded_hour_apis' })
  hour!: Date;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_hour_apis' })
  planId!: string;

  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'pk_usage_folded_hour_apis' })
  statusClass!: number;
}

/**
 * The minute rollups per UTC day, API, plan and status class: providers' per-API and per-plan
 * totals and series.
 */
@Entity({ name: 'usage_folded_day_apis' })
export class UsageFoldedDayApiEntity extends FoldedRollupMeasures {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_day_apis' })
  apiId!: string;

  /** Start of the UTC day. */
  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_folded_day_apis' })
  day!: Date;

  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_folded_day_apis' })
  planId!: string;

  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'pk_usage_folded_day_apis' })
  statusClass!: number;
}
