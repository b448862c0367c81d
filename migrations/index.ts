import type { MigrationInterface } from 'typeorm';
import { InitialIdentity1795856757200 } from './1795856757200-initial-identity';
import { CatalogAndStripeInbox1795858360071 } from './1795858360071-catalog-and-stripe-inbox';
import { SeedCategories1795858367665 } from './1795858367665-seed-categories';
import { Subscriptions1795862565414 } from './1795862565414-subscriptions';
import { SubscriptionsCheckoutAndScheduler1795866703121 } from './1795866703121-subscriptions-checkout-and-scheduler';
import { UsageMetering1795866808910 } from './1795866808910-usage-metering';
import { UsageAlertsAndSpendCaps1795868769815 } from './1795868769815-usage-alerts-and-spend-caps';
import { BillingInvoicesLedgerPayouts1795868925585 } from './1795868925585-billing-invoices-ledger-payouts';
import { AnalyticsIndexes1795868927022 } from './1795868927022-analytics-indexes';
import { Reviews1795870288947 } from './1795870288947-reviews';
import { SearchDocuments1795870621576 } from './1795870621576-search-documents';
import { StripePaymentsDunningRefunds1795871158122 } from './1795871158122-stripe-payments-dunning-refunds';
import { MeteringOneStatementApply1795872600000 } from './1795872600000-metering-one-statement-apply';
import { SearchFacetCacheAndBrowseIndexes1795873000000 } from './1795873000000-search-facet-cache-and-browse-indexes';
import { UsageHourDayRollups1795874400000 } from './1795874400000-usage-hour-day-rollups';
import { SearchFacetCounts1795875000000 } from './1795875000000-search-facet-counts';
import { BillingDisputeOutcomes1795875600000 } from './1795875600000-billing-dispute-outcomes';
import { MeteringDeltasFromApply1795876200000 } from './1795876200000-metering-deltas-from-apply';
import { MeteringFreshApplyByUniqueViolation1795877400000 } from './1795877400000-metering-fresh-apply-by-unique-violation';
import { UsageRequestLogLighterIndexes1795878000000 } from './1795878000000-usage-request-log-lighter-indexes';
import { UsageRollupHistogramsUnpacked1795878600000 } from './1795878600000-usage-rollup-histograms-unpacked';
import { UsageRequestIdCollateC1795879200000 } from './1795879200000-usage-request-id-collate-c';
import { UsageRequestIdUuid1795879800000 } from './1795879800000-usage-request-id-uuid';
import { BillingDisputeShareReversals1795880400000 } from './1795880400000-billing-dispute-share-reversals';
import { BillingLateUsageReports1795881000000 } from './1795881000000-billing-late-usage-reports';
import { BillingUsagePeriodSweep1795881600000 } from './1795881600000-billing-usage-period-sweep';

/**
 * Every migration, in order. `npm run migration:generate -- <name>` appends to this list;
 * a unit test fails if a file in this folder is missing from it.
 */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  InitialIdentity1795856757200,
  CatalogAndStripeInbox1795858360071,
  SeedCategories1795858367665,
  Subscriptions1795862565414,
  SubscriptionsCheckoutAndScheduler1795866703121,
  UsageMetering1795866808910,
  UsageAlertsAndSpendCaps1795868769815,
  BillingInvoicesLedgerPayouts1795868925585,
  AnalyticsIndexes1795868927022,
  Reviews1795870288947,
  SearchDocuments1795870621576,
  StripePaymentsDunningRefunds1795871158122,
  MeteringOneStatementApply1795872600000,
  SearchFacetCacheAndBrowseIndexes1795873000000,
  UsageHourDayRollups1795874400000,
  SearchFacetCounts1795875000000,
  BillingDisputeOutcomes1795875600000,
  MeteringDeltasFromApply1795876200000,
  MeteringFreshApplyByUniqueViolation1795877400000,
  UsageRequestLogLighterIndexes1795878000000,
  UsageRollupHistogramsUnpacked1795878600000,
  UsageRequestIdCollateC1795879200000,
  UsageRequestIdUuid1795879800000,
  BillingDisputeShareReversals1795880400000,
  BillingLateUsageReports1795881000000,
  BillingUsagePeriodSweep1795881600000,
];
