export * from './subscriptions.module';
export { SUBSCRIPTION_CHANGED_EVENT } from './subscription-changed.event';
export {
  addMonthsClamped,
  dailyPeriodAt,
  monthlyPeriodAt,
  periodAt,
  type Period,
  type PeriodKind,
} from './periods';
export { LIVE_STATUSES, SUBSCRIPTION_STATUSES, type SubscriptionStatus } from './subscription-state';
export {
  CHECKOUT_NEXT_STEP,
  SubscriptionsService,
  type AdvanceResult,
  type Consumer,
  type LiveSubscription,
  type SubscribeResult,
  type SubscriptionView,
} from './subscriptions.service';
export {
  UsageControlsService,
  type SpendCapReached,
  type SpendCapView,
  type UsageAlertsInput,
  type UsageAlertsView,
  type UsageControlsOutcome,
} from './usage-controls.service';
export { USAGE_CONTROL_LIMITS } from './usage-controls.rules';
