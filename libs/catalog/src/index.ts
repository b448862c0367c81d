export * from './catalog.env';
export * from './catalog.module';
export type { PayoutStatus, ProviderEntity } from './providers/provider.entity';
export type { PayoutState } from './providers/provider.repository';
export { PROVIDER_LIMITS, PROVIDER_SLUG_PATTERN, PROVIDER_SLUG_RULE } from './providers/provider.rules';
export { ProvidersService, type ProviderInput, type ProviderUpdate } from './providers/providers.service';
export type { ApiEndpointEntity } from './versions/api-endpoint.entity';
export type { EndpointChange, VersionChangelog } from './versions/api-version.entity';
export {
  ApiVersionsService,
  type DocumentFormat,
  type ImportResult,
  type RenderedDocument,
  type VersionDetail,
  type VersionStatus,
  type VersionView,
} from './versions/api-versions.service';
export { EndpointsService } from './versions/endpoints.service';
export { ENDPOINTS_CHANGED_EVENT } from './versions/endpoints-changed.event';
export { CHANGE_FIELDS } from './versions/api-version.repository';
export type { DocumentProblem } from './versions/openapi-import.errors';
export { OPENAPI_IMPORT_LIMITS } from './versions/openapi-import.limits';
export type { DocumentInput, SourceFormat } from './versions/openapi-document.reader';
export {
  OpenApiImporter,
  type ImportedDocument,
  type ImportTimings,
} from './versions/openapi-importer.service';
export { CURRENCY_MINOR_UNITS, SUPPORTED_CURRENCIES, minorUnitDigits } from './plans/currencies';
export type { PlanStatus, PlanVisibility, QuotaMode, QuotaPeriod, RateLimit } from './plans/plan.entity';
export type { PlanInvitation } from './plans/plan.repository';
export {
  ENDPOINT_KEY_PATTERN,
  ENDPOINT_KEY_RULE,
  parseCurrency,
  parseMinorAmount,
  parseOverageUnitPrice,
  PLAN_LIMITS,
  RATE_LIMIT_KEYS,
  type PlanInput,
} from './plans/plan.rules';
export { NO_PLAN_SUBSCRIBERS, PlanSubscribers, type PlanSubscriberCounter } from './plans/plan-subscribers.port';
export { PLANS_CHANGED_EVENT } from './plans/plans-changed.event';
export { PAYOUT_ONBOARDING_URL, PlansService, type PlanChange, type PlanChangeOutcome, type PlanView } from './plans/plans.service';
export type { ApiInvitationEntity } from './listings/api-invitation.entity';
export type { ApiListingEntity, CredentialLocation, ListingStatus, ListingVisibility } from './listings/api-listing.entity';
export { API_CHANGED_EVENT, type ApiChangedMessage } from './listings/api-changed.event';
export { GatewayCatalogService, type GatewayApi } from './listings/gateway-catalog.service';
export { ownerActions, type ListingAction } from './listings/listing-lifecycle';
export {
  CREDENTIAL_LOCATIONS,
  HEADER_NAME_PATTERN,
  LISTING_LIMITS,
  LISTING_SLUG_PATTERN,
  LISTING_SLUG_RULE,
  LISTING_STATUSES,
  LISTING_VISIBILITIES,
  QUERY_NAME_PATTERN,
  RESERVED_SLUGS,
  TAG_PATTERN,
  TAG_RULE,
  type CredentialInput,
} from './listings/listing.rules';
export {
  ListingsService,
  type CredentialSummary,
  type DeprecationInput,
  type ListingCreationStep,
  type ListingPublishCheck,
  type ListingInput,
  type ListingUpdate,
  type ListingView,
  type ReviewView,
} from './listings/listings.service';
export {
  emptyRating,
  ListingRatings,
  NO_LISTING_RATINGS,
  type ListingRating,
  type ListingRatingSource,
  type RatingDistribution,
} from './listings/listing-ratings.port';
export { PROXY_SECRET_BYTES, ProxySecretsService, type LiveProxySecret, type ProxySecretView } from './listings/proxy-secrets.service';
export type { CatalogSort, PricingFilter, PublicCatalogFilter } from './listings/public-catalog.repository';
export {
  CATALOG_PAGE_LIMITS,
  PublicCatalogService,
  type CatalogEndpoint,
  type CatalogListingDetail,
  type CatalogListingSummary,
  type CatalogPage,
  type CatalogPlan,
  type CatalogSearchSource,
  type CatalogViewer,
} from './listings/public-catalog.service';
export type { CategoryWithCount } from './categories/category.repository';
