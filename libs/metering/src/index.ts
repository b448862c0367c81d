export * from './metering.module';
export * from './analytics';
export {
  MalformedUsageBatchError,
  MAX_GROUP_CALLS,
  MeteringService,
  REQUEST_LOG_RETENTION_DAYS,
  USAGE_BATCH_RETENTION_DAYS,
  type ApplyBatchResult,
  type BatchKeyUse,
  type RecordKeyUses,
  type PeriodUsage,
  type UsageBatch,
} from './metering.service';
export type { PeriodQuery } from './usage.repository';
export { NO_ID, billedUnits } from './usage-aggregation';
export { FOLD_CHUNK, RollupFoldService, type FoldReport } from './rollups/rollup-fold.service';
export { billedSubscriptionIds } from './billed-subscriptions';
export {
  LATENCY_BUCKET_BOUNDS_MS,
  LATENCY_BUCKET_COUNT,
  addHistograms,
  latencyBucket,
  latencyPercentiles,
  latencyQuantile,
  type LatencyHistogram,
  type LatencyPercentiles,
} from './latency-histogram';
