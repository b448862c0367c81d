/** Names for the api's response shapes, generated from openapi/portico.json (`npm run types`). */
import type { components } from './schema.gen';

type Schemas = components['schemas'];

export type Account = Schemas['AccountDto'];
export type Session = Schemas['SessionDto'];
export type SignUpResponse = Schemas['SignUpResponseDto'];
export type SearchPage = Schemas['SearchPageDto'];
export type SearchHit = Schemas['SearchHitDto'];
export type FacetCount = Schemas['FacetCountDto'];
export type Category = Schemas['CategoryDto'];
export type Listing = Schemas['CatalogListingDetailDto'];
export type Plan = Schemas['CatalogPlanDto'];
export type ReviewPage = Schemas['ReviewPageDto'];
export type Subscription = Schemas['SubscriptionDto'];
export type SubscribeResult = Schemas['SubscribeResultDto'];
export type CurrentPeriod = Schemas['CurrentPeriodDto'];
export type UsageSeriesResult = Schemas['UsageSeriesResultDto'];
export type UsagePoint = Schemas['UsagePointDto'];
export type Application = Schemas['ApplicationDto'];
export type ApiKey = Schemas['ApiKeyDto'];
export type CreatedApiKey = Schemas['CreatedApiKeyDto'];
export type Invoice = Schemas['InvoiceDto'];
export type Provider = Schemas['ProviderDto'];
export type ProviderListing = Schemas['ListingDto'];
export type ProviderOverview = Schemas['ProviderOverviewDto'];
export type Payouts = Schemas['PayoutsDto'];
export type OnboardingLink = Schemas['OnboardingLinkDto'];
export type Earnings = Schemas['EarningsDto'];
export type ProviderPlan = Schemas['PlanDto'];
export type ApiVersion = Schemas['ApiVersionDto'];
export type ImportedApiVersion = Schemas['ImportedApiVersionDto'];
export type PendingListing = Schemas['ReviewListingDto'];
export type ReportedReviewPage = Schemas['ReportedReviewPageDto'];
export type Revenue = Schemas['RevenueDto'];
export type PlatformAnalytics = Schemas['PlatformAnalyticsDto'];
export type Drift = Schemas['DriftDto'];
