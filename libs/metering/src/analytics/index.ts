export { csvField, csvLine, type CsvValue } from './csv';
export { MAX_SERIES_POINTS, bucketRange, type BucketRange } from './time-buckets';
export {
  CONSUMER_GROUP_BY,
  GRANULARITIES,
  USAGE_DIMENSIONS,
  type ConsumerGroupBy,
  type Granularity,
  type UsageDimension,
  type UsageFilters,
  type UsageScope,
} from './usage-query';
export type { RequestLogFilter } from './usage-analytics.repository';
export {
  REQUEST_LOG_PAGE,
  UsageAnalyticsService,
  type BreakdownItem,
  type PlatformDay,
  type RequestLogEntry,
  type RequestLogPage,
  type UsageMeasures,
  type UsagePoint,
  type UsageSeries,
  type UsageSeriesQuery,
  type UsageSeriesResult,
} from './usage-analytics.service';
