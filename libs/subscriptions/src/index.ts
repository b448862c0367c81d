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
  CHECKOUT_PENDING_NOTE,
  SubscriptionsService,
  type Consumer,
  type SubscribeResult,
  type SubscriptionView,
} from './subscriptions.service';
