export * from './analytics.module';
export { ConsumerUsageService, type CurrentPeriodUsage } from './consumer-usage.service';
export { periodCost, type PeriodCost, type PeriodCostInput } from './period-cost';
export { PlatformAnalyticsService, type PlatformDayTotals } from './platform-analytics.service';
export {
  ProviderAnalyticsService,
  TOP_CONSUMERS,
  type ConsumerBreakdown,
  type NamedBreakdown,
  type ProviderOverview,
  type ProviderRange,
  type SubscriptionFlowBucket,
} from './provider-analytics.service';
