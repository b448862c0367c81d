export * from './billing.env';
export * from './billing.module';
export {
  CheckoutCompletions,
  type CheckoutCompletionHandler,
  type CheckoutCompletionOutcome,
  type CompletedCheckout,
  type InboxTransaction,
} from './checkout/checkout-completions.port';
export { completedCheckoutOf } from './checkout/checkout-event';
export {
  SubscriptionCheckoutService,
  type Payee,
  type SubscriptionCheckoutInput,
} from './checkout/subscription-checkout.service';
export type { ApplyOutcome, ReceivedEvent } from './inbox/stripe-inbox.service';
export { StripeInboxService } from './inbox/stripe-inbox.service';
export { derivePayoutState, derivePayoutStatus } from './onboarding/payout-state';
export {
  ProviderOnboardingService,
  type AccountSyncOutcome,
  type OnboardingLinkResult,
  type OnboardingUrls,
  type PayoutsOverview,
} from './onboarding/provider-onboarding.service';
export type {
  AccountRequirements,
  CheckoutSession,
  ConnectedAccount,
  ConnectedAccountRequest,
  OnboardingLink,
  SubscriptionCheckoutRequest,
  VerifiedPaymentEvent,
} from './payments/payments.port';
export { PaymentsPort } from './payments/payments.port';
export { WEBHOOK_TOLERANCE_SECONDS } from './payments/stripe-payments.adapter';
