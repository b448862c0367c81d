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
export type {
  InvoiceCollection,
  InvoiceCollectionRequest,
  ProviderTransfer,
  ProviderTransferRequest,
} from './payments/payments.port';
export { BPS_DENOMINATOR, canonicalDecimal, formatMinor, lineAmount, prorate, roundMinor, splitFee, type FeeSplit } from './money/money';
export {
  billsOverage,
  overageAmount,
  ratePeriod,
  segmentsOf,
  type InvoiceLineKind,
  type OverageTerms,
  type RatedLine,
  type RatedPlan,
} from './rating/rating';
export { RatingService, type RateOutcome } from './rating/rating.service';
export { PeriodCloses, ratePeriodJobId, type ClosedPeriod, type PlanChangeRecord } from './periods/period-closes.service';
export type { PeriodCloseReason } from './periods/period-close.entity';
export { FeePolicy, type ProviderFee } from './fees/fee-policy.service';
export { LedgerService, assertBalanced, type AccountBalance, type LedgerLeg, type Posting } from './ledger/ledger.service';
export { LEDGER_ACCOUNTS, type LedgerAccount } from './ledger/ledger.entities';
export { InvoicesService, formatInvoiceNumber, type InvoiceWithLines } from './invoices/invoices.service';
export type { InvoiceEntity, InvoiceKind, InvoiceParties, InvoiceStatus } from './invoices/invoice.entity';
export type { InvoiceLineEntity } from './invoices/invoice-line.entity';
export { INVOICE_STATUSES, INVOICE_TRANSITIONS, canMove } from './invoices/invoice-state';
export { renderInvoiceHtml, type InvoiceRecipient } from './invoices/invoice-html';
export { billedTo } from './invoices/invoice-parties.service';
export { PayoutsService, type PayoutStatement, type PayoutStatementLine } from './payouts/payouts.service';
export {
  EarningsService,
  type CurrencyTotals,
  type EarningsRow,
  type PeriodWindow,
  type PlatformRevenue,
  type ProviderEarnings,
} from './earnings/earnings.service';
export { TestClocks, testClocksEnabled } from './test-clock/test-clocks';
export {
  SubscriptionBilling,
  type BilledSubscription,
  type SubscriptionBillingHandler,
  type SubscriptionBillingOutcome,
} from './dunning/subscription-billing.port';
export { DunningService, type DunningRun } from './dunning/dunning.service';
export { BillingFaults, type BillingFaultPoint } from './faults/billing-faults';
export { RefundsService, type RefundInput, type RefundView } from './refunds/refunds.service';
export { UsageReporter, usageIdentifier, USAGE_REPORT_LAG_MS, type UsageReportRun } from './stripe/usage-reporter.service';
export { ReconciliationService, type DriftView, type ReconciliationRun } from './stripe/reconciliation.service';
export { DisputeShareReversals, type ShareReversalRun } from './stripe/dispute-share-reversals.service';
export { Disputes, type DisputeView, type ShareReversalView } from './stripe/disputes.service';
export { durationMs, retryScheduleMs } from './billing.env';
export { OVERAGE_METER_EVENT, PLAN_CHANGE_PRORATION_BEHAVIOR, stripeIdempotencyKey } from './payments/stripe-payments.adapter';
export { StripeSubscriptionChanges, type StripePlanChangeInput } from './stripe/stripe-subscription-changes.service';
export type { SubscriptionPlanChangeRequest } from './payments/payments.port';
export { BillingAccounts, type BillingAccountsHandler } from './notify/billing-accounts.port';
