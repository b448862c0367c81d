import { AppError, Clock } from '@app/common';
import { Injectable } from '@nestjs/common';
import { CategoryRepository, type CategoryWithCount } from '../categories/category.repository';
import { PlanRepository } from '../plans/plan.repository';
import type { PlanEntity, QuotaMode, QuotaPeriod, RateLimit } from '../plans/plan.entity';
import { EndpointsService } from '../versions/endpoints.service';
import type { ApiListingEntity, ListingStatus, ListingVisibility } from './api-listing.entity';
import { ApiInvitationRepository } from './api-invitation.repository';
import { ApiListingRepository } from './api-listing.repository';
import { isInPublicCatalog, isLive } from './listing-lifecycle';
import { ListingRatings, type ListingRating } from './listing-ratings.port';
import {
  PublicCatalogRepository,
  type PlanFlags,
  type PublicCatalogFilter,
} from './public-catalog.repository';

/** Who is looking (null: anonymous). */
export interface CatalogViewer {
  accountId: string;
  /** Matched against invitations to private listings. */
  email: string;
}

export interface CatalogListingSummary {
  id: string;
  slug: string;
  name: string;
  summary: string;
  category: { slug: string; name: string };
  tags: string[];
  logoUrl: string | null;
  provider: { slug: string; displayName: string };
  status: ListingStatus;
  publishedAt: Date | null;
  sunsetAt: Date | null;
  hasFreePlan: boolean;
  hasPaidPlan: boolean;
}

export interface CatalogEndpoint {
  method: string;
  path: string;
  summary: string | null;
  operationId: string | null;
  tags: string[];
  deprecated: boolean;
}

export interface CatalogPlan {
  id: string;
  name: string;
  description: string;
  /** Monthly price in minor units, as an integer string (bigint-safe, like the plans routes); "0" = free. */
  priceAmountMinor: string;
  currency: string;
  quotaPeriod: QuotaPeriod;
  /** Null: unlimited. */
  quotaLimit: number | null;
  quotaMode: QuotaMode;
  /** Exact decimal string in minor units per call over the quota (soft quotas), e.g. "0.05". */
  overageUnitPriceMinor: string | null;
  rateLimit: RateLimit;
  trialDays: number;
  approvalRequired: boolean;
}

export interface CatalogListingDetail extends CatalogListingSummary {
  description: string;
  websiteUrl: string | null;
  termsUrl: string | null;
  visibility: ListingVisibility;
  deprecationMessage: string | null;
  provider: { slug: string; displayName: string; websiteUrl: string | null };
  endpoints: CatalogEndpoint[];
  plans: CatalogPlan[];
  /** From the visible reviews (libs/reviews, through the ListingRatings port). */
  rating: ListingRating;
}

/** A listing of the public catalog as libs/search indexes it. */
export interface CatalogSearchSource extends CatalogListingSummary {
  /** Markdown. */
  description: string;
}

export interface CatalogPage {
  items: CatalogListingSummary[];
  page: number;
  perPage: number;
  total: number;
}

export const CATALOG_PAGE_LIMITS = { perPageDefault: 20, perPageMax: 100, pageMax: 10_000 } as const;

function listingNotFound(): AppError {
  return new AppError('not_found', 'API not found: no API is published under this slug.');
}

/** Trims an exact decimal string ("0.0500000000" → "0.05"). */
function trimDecimal(value: string | null): string | null {
  if (value === null) return null;
  return value.includes('.') ? value.replace(/0+$/, '').replace(/\.$/, '') : value;
}

/**
 * The marketplace's read side: the public catalog (published and deprecated public listings),
 * one listing's page with its endpoints and plans, and the categories. A private listing is
 * visible to its owner and to invited accounts (by email); to anyone else it answers exactly like
 * a slug that does not exist. Drafts, listings awaiting their first approval and retired ones are
 * visible to their owner only.
 */
@Injectable()
export class PublicCatalogService {
  constructor(
    private readonly catalog: PublicCatalogRepository,
    private readonly listings: ApiListingRepository,
    private readonly invitations: ApiInvitationRepository,
    private readonly categories: CategoryRepository,
    private readonly endpoints: EndpointsService,
    private readonly plans: PlanRepository,
    private readonly clock: Clock,
    private readonly ratings: ListingRatings,
  ) {}

  /** Tags are stored lower-cased, so the tag filter is matched lower-cased. */
  async list(filter: PublicCatalogFilter): Promise<CatalogPage> {
    const { rows, total } = await this.catalog.search(
      { ...filter, tag: filter.tag?.trim().toLowerCase() },
      this.clock.now(),
    );
    const flags = await this.catalog.planFlags(rows.map((row) => row.id));
    return {
      items: rows.map((row) => this.summary(row, flags.get(row.id))),
      page: filter.page,
      perPage: filter.perPage,
      total,
    };
  }

  async getBySlug(slug: string, viewer: CatalogViewer | null): Promise<CatalogListingDetail> {
    const listing = await this.findVisibleBySlug(slug, viewer);
    const [endpoints, plans, flags, rating] = await Promise.all([
      this.endpoints.listCurrent(listing.id),
      // public plans, plus private ones the viewer's email is invited to
      this.plans.listVisible(listing.id, viewer?.email.trim().toLowerCase() ?? null),
      this.catalog.planFlags([listing.id]),
      this.ratings.of(listing.id),
    ]);
    const provider = listing.provider;
    if (!provider) throw listingNotFound();
    return {
      ...this.summary(listing, flags.get(listing.id)),
      description: listing.description,
      websiteUrl: listing.websiteUrl,
      termsUrl: listing.termsUrl,
      visibility: listing.visibility,
      deprecationMessage: listing.deprecationMessage,
      provider: { slug: provider.slug, displayName: provider.displayName, websiteUrl: provider.websiteUrl },
      endpoints: endpoints.map((endpoint) => ({
        method: endpoint.method,
        path: endpoint.path,
        summary: endpoint.summary,
        operationId: endpoint.operationId,
        tags: endpoint.tags,
        deprecated: endpoint.deprecated,
      })),
      plans: plans.map((plan) => this.plan(plan)),
      rating,
    };
  }

  /**
   * The listing behind a slug if `viewer` may see it, else 404 `not_found` (the same answer as an
   * unknown slug). Exported for other catalog reads by slug (the OpenAPI document, plans).
   */
  async findVisibleBySlug(slug: string, viewer: CatalogViewer | null): Promise<ApiListingEntity> {
    if (slug.length === 0 || slug.length > 64) throw listingNotFound();
    const listing = await this.listings.findBySlug(slug);
    if (!listing || !(await this.canView(listing, viewer))) throw listingNotFound();
    return listing;
  }

  /** Like findVisibleBySlug, by the listing's id (libs/subscriptions: a plan names its API by id). */
  async findVisibleById(apiId: string, viewer: CatalogViewer | null): Promise<ApiListingEntity> {
    const listing = await this.listings.findById(apiId);
    if (!listing || !(await this.canView(listing, viewer))) throw listingNotFound();
    return listing;
  }

  /** System read (billing's invoice snapshot): an API's name and slug whatever its visibility, or null. */
  async nameOf(apiId: string): Promise<{ name: string; slug: string } | null> {
    const listing = await this.listings.findById(apiId);
    return listing ? { name: listing.name, slug: listing.slug } : null;
  }

  /**
   * System read (libs/search): the listings among `apiIds` that are in the public catalog right now.
   * Private, draft, pending, retired, past-sunset and unknown ids are simply absent, so the caller
   * removes them from its index.
   */
  async searchSources(apiIds: readonly string[]): Promise<CatalogSearchSource[]> {
    const rows = await this.catalog.publicByIds(apiIds, this.clock.now());
    const flags = await this.catalog.planFlags(rows.map((row) => row.id));
    return rows.map((row) => ({ ...this.summary(row, flags.get(row.id)), description: row.description }));
  }

  /** System read (libs/search reindex): ids of the public catalog in id order, `limit` after `after`. */
  publicIds(after: string | null, limit: number): Promise<string[]> {
    return this.catalog.publicIdsAfter(after, limit, this.clock.now());
  }

  categoriesWithCounts(): Promise<CategoryWithCount[]> {
    return this.categories.listWithCounts(this.clock.now());
  }

  private async canView(listing: ApiListingEntity, viewer: CatalogViewer | null): Promise<boolean> {
    const now = this.clock.now();
    if (isInPublicCatalog(listing, now)) return true;
    if (viewer && listing.provider?.ownerAccountId === viewer.accountId) return true;
    if (!viewer || !isLive(listing, now)) return false;
    return this.invitations.isInvited(listing.id, viewer.email);
  }

  private summary(listing: ApiListingEntity, flags: PlanFlags | undefined): CatalogListingSummary {
    return {
      id: listing.id,
      slug: listing.slug,
      name: listing.name,
      summary: listing.summary,
      category: { slug: listing.categorySlug, name: listing.category?.name ?? listing.categorySlug },
      tags: listing.tags,
      logoUrl: listing.logoUrl,
      provider: { slug: listing.provider?.slug ?? '', displayName: listing.provider?.displayName ?? '' },
      status: listing.status,
      publishedAt: listing.publishedAt,
      sunsetAt: listing.sunsetAt,
      hasFreePlan: flags?.hasFreePlan ?? false,
      hasPaidPlan: flags?.hasPaidPlan ?? false,
    };
  }

  private plan(plan: PlanEntity): CatalogPlan {
    return {
      id: plan.id,
      name: plan.name,
      description: plan.description,
      priceAmountMinor: plan.priceAmountMinor,
      currency: plan.currency,
      quotaPeriod: plan.quotaPeriod,
      quotaLimit: plan.quotaLimit === null ? null : Number(plan.quotaLimit),
      quotaMode: plan.quotaMode,
      overageUnitPriceMinor: trimDecimal(plan.overageUnitPriceMinor),
      rateLimit: plan.rateLimit,
      trialDays: plan.trialDays,
      approvalRequired: plan.approvalRequired,
    };
  }
}
