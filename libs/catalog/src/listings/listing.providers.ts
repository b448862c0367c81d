import { CategoryRepository } from '../categories/category.repository';
import { ApiInvitationRepository } from './api-invitation.repository';
import { ApiListingRepository } from './api-listing.repository';
import { GatewayCatalogService } from './gateway-catalog.service';
import { ListingEventsService } from './listing-events.service';
import { ListingsService } from './listings.service';
import { ProxySecretRepository } from './proxy-secret.repository';
import { ProxySecretsService } from './proxy-secrets.service';
import { PublicCatalogRepository } from './public-catalog.repository';
import { PublicCatalogService } from './public-catalog.service';

/** The listings part of CatalogModule (kept here so the module file stays a short list). */
export const LISTING_PROVIDERS = [
  ApiListingRepository,
  ApiInvitationRepository,
  ProxySecretRepository,
  PublicCatalogRepository,
  CategoryRepository,
  ListingEventsService,
  ProxySecretsService,
  ListingsService,
  PublicCatalogService,
  GatewayCatalogService,
];
