import { CryptoModule, UpstreamPolicyModule } from '@app/common';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CategoryEntity } from './categories/category.entity';
import { ApiInvitationEntity } from './listings/api-invitation.entity';
import { ApiListingEntity } from './listings/api-listing.entity';
import { ProxySecretEntity } from './listings/proxy-secret.entity';
import { GatewayCatalogService } from './listings/gateway-catalog.service';
import { LISTING_PROVIDERS } from './listings/listing.providers';
import { ListingRatings } from './listings/listing-ratings.port';
import { ListingsService } from './listings/listings.service';
import { ProxySecretsService } from './listings/proxy-secrets.service';
import { PublicCatalogService } from './listings/public-catalog.service';
import { PlanEntity } from './plans/plan.entity';
import { PlanRepository } from './plans/plan.repository';
import { PlanSubscribers } from './plans/plan-subscribers.port';
import { PlansService } from './plans/plans.service';
import { ProviderEntity } from './providers/provider.entity';
import { ProviderRepository } from './providers/provider.repository';
import { ProvidersService } from './providers/providers.service';
import { ApiEndpointEntity } from './versions/api-endpoint.entity';
import { ApiVersionRepository } from './versions/api-version.repository';
import { ApiVersionsService } from './versions/api-versions.service';
import { EndpointsService } from './versions/endpoints.service';
import { ImportProcesses } from './versions/import-processes';
import { ApiVersionEntity } from './versions/api-version.entity';

export const CATALOG_ENTITIES = [
  ProviderEntity,
  CategoryEntity,
  ApiListingEntity,
  ApiInvitationEntity,
  ProxySecretEntity,
  ApiVersionEntity,
  ApiEndpointEntity,
  PlanEntity,
];

@Module({
  imports: [TypeOrmModule.forFeature(CATALOG_ENTITIES), CryptoModule, UpstreamPolicyModule],
  providers: [...LISTING_PROVIDERS, ProviderRepository, ProvidersService, ApiVersionRepository, ImportProcesses, ApiVersionsService, EndpointsService, PlanRepository, PlanSubscribers, PlansService, ListingRatings],
  exports: [ListingsService, PublicCatalogService, GatewayCatalogService, ProxySecretsService, ProvidersService, ApiVersionsService, EndpointsService, PlansService, PlanSubscribers, ListingRatings],
})
export class CatalogModule {}
