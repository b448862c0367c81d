import { CatalogModule } from '@app/catalog';
import { MeteringModule } from '@app/metering';
import { NotificationsModule } from '@app/notifications';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CheckoutCompletions } from './checkout/checkout-completions.port';
import { SubscriptionCheckoutService } from './checkout/subscription-checkout.service';
import { EarningsService } from './earnings/earnings.service';
import { FeePolicy } from './fees/fee-policy.service';
import { StripeEventEntity } from './inbox/stripe-event.entity';
import { StripeEventRepository } from './inbox/stripe-event.repository';
import { StripeInboxService } from './inbox/stripe-inbox.service';
import { InvoiceLineEntity } from './invoices/invoice-line.entity';
import { InvoiceNumberCounterEntity } from './invoices/invoice-number-counter.entity';
import { InvoiceEntity } from './invoices/invoice.entity';
import { InvoiceRepository } from './invoices/invoice.repository';
import { InvoicesService } from './invoices/invoices.service';
import { LedgerEntryEntity, LedgerTransactionEntity } from './ledger/ledger.entities';
import { LedgerService } from './ledger/ledger.service';
import { ProviderOnboardingService } from './onboarding/provider-onboarding.service';
import { PAYMENTS_PORT_PROVIDER } from './payments/payments.factory';
import { PaymentsPort } from './payments/payments.port';
import { PayoutEntity, PayoutItemEntity } from './payouts/payout.entities';
import { PayoutsService } from './payouts/payouts.service';
import { PeriodCloseEntity } from './periods/period-close.entity';
import { PeriodCloses } from './periods/period-closes.service';
import { PlanChangeEntity } from './periods/plan-change.entity';
import { RatingService } from './rating/rating.service';
import { TestClocks } from './test-clock/test-clocks';
import { DunningService } from './dunning/dunning.service';
import { SubscriptionBilling } from './dunning/subscription-billing.port';
import { BillingFaults } from './faults/billing-faults';
import { RefundsService } from './refunds/refunds.service';
import { ReconciliationService } from './stripe/reconciliation.service';
import {
  DisputeEntity,
  DriftEntity,
  DunningEntity,
  RefundEntity,
  StripeSubscriptionLinkEntity,
  UsageReportEntity,
} from './stripe/stripe-billing.entities';
import { StripeBillingRepository } from './stripe/stripe-billing.repository';
import { BillingAccounts } from './notify/billing-accounts.port';
import { InvoicePartiesService } from './invoices/invoice-parties.service';
import { DisputeShareReversals } from './stripe/dispute-share-reversals.service';
import { Disputes } from './stripe/disputes.service';
import { StripeSubscriptionChanges } from './stripe/stripe-subscription-changes.service';
import { StripeSyncService } from './stripe/stripe-sync.service';
import { UsageReporter } from './stripe/usage-reporter.service';

export const BILLING_ENTITIES = [
  StripeEventEntity,
  PeriodCloseEntity,
  PlanChangeEntity,
  InvoiceEntity,
  InvoiceLineEntity,
  InvoiceNumberCounterEntity,
  LedgerTransactionEntity,
  LedgerEntryEntity,
  PayoutEntity,
  PayoutItemEntity,
  StripeSubscriptionLinkEntity,
  UsageReportEntity,
  RefundEntity,
  DisputeEntity,
  DunningEntity,
  DriftEntity,
];

/** Needs BillingEnv among the app's env fragments (EnvModule) and CoreModule's Clock and JobQueue. */
@Module({
  imports: [TypeOrmModule.forFeature(BILLING_ENTITIES), CatalogModule, MeteringModule, NotificationsModule],
  providers: [
    PAYMENTS_PORT_PROVIDER,
    StripeEventRepository,
    StripeInboxService,
    ProviderOnboardingService,
    CheckoutCompletions,
    SubscriptionCheckoutService,
    PeriodCloses,
    FeePolicy,
    LedgerService,
    InvoiceRepository,
    InvoicesService,
    RatingService,
    PayoutsService,
    EarningsService,
    TestClocks,
    StripeBillingRepository,
    SubscriptionBilling,
    BillingFaults,
    DunningService,
    RefundsService,
    StripeSyncService,
    StripeSubscriptionChanges,
    BillingAccounts,
    InvoicePartiesService,
    UsageReporter,
    ReconciliationService,
    DisputeShareReversals,
    Disputes,
  ],
  exports: [
    PaymentsPort,
    ProviderOnboardingService,
    StripeInboxService,
    CheckoutCompletions,
    SubscriptionCheckoutService,
    PeriodCloses,
    FeePolicy,
    LedgerService,
    InvoicesService,
    RatingService,
    PayoutsService,
    EarningsService,
    TestClocks,
    SubscriptionBilling,
    BillingFaults,
    DunningService,
    RefundsService,
    UsageReporter,
    ReconciliationService,
    DisputeShareReversals,
    Disputes,
    StripeSubscriptionChanges,
    BillingAccounts,
  ],
})
export class BillingModule {}
