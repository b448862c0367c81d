import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CategoryEntity } from './categories/category.entity';
import { ApiInvitationEntity } from './listings/api-invitation.entity';
import { ApiListingEntity } from './listings/api-listing.entity';
import { ProxySecretEntity } from './listings/proxy-secret.entity';
import { PlanEntity } from './plans/plan.entity';
import { ProviderEntity } from './providers/provider.entity';
import { ProviderRepository } from './providers/provider.repository';
import { ApiEndpointEntity } from './versions/api-endpoint.entity';
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
  imports: [TypeOrmModule.forFeature(CATALOG_ENTITIES)],
  providers: [ProviderRepository],
  exports: [],
})
export class CatalogModule {}
