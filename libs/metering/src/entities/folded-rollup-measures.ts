import { Column } from 'typeorm';

/**
 * The measures of every folded rollup table (`usage_folded_<hour|day>_<…>`): the minute rows'
 * sums up to the last fold, histogram as `bigint[]`. Written only by RollupFoldService; exact sums
 * are these plus the pending `usage_rollup_deltas` (migration `usage-hour-day-rollups`).
 */
export abstract class FoldedRollupMeasures {
  @Column({ type: 'bigint', default: 0 })
  calls!: string;

  @Column({ type: 'bigint', default: 0 })
  errors!: string;

  @Column({ type: 'bigint', default: 0 })
  bytesIn!: string;

  @Column({ type: 'bigint', default: 0 })
  bytesOut!: string;

  @Column({ type: 'bigint', default: 0 })
  billableUnits!: string;

  @Column({ type: 'bigint', default: 0 })
  overageUnits!: string;

  @Column({ type: 'bigint', default: 0 })
  latencyMsSum!: string;

  /** Counts per bucket of LATENCY_BUCKET_BOUNDS_MS (+ overflow), summed element-wise. */
  @Column({ type: 'bigint', array: true })
  latencyHistogram!: string[];
}
