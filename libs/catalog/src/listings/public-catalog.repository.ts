import { Injectable } from '@nestjs/common';
import { DataSource, type SelectQueryBuilder } from 'typeorm';
import { freePlanSql, paidPlanSql } from '../plans/plan.repository';
import { ApiListingEntity } from './api-listing.entity';

export type CatalogSort = 'newest' | 'name';
export type PricingFilter = 'free' | 'paid';

export interface PublicCatalogFilter {
  page: number;
  perPage: number;
  category?: string;
  tag?: string;
  /** Provider slug. */
  provider?: string;
  pricing?: PricingFilter;
  sort: CatalogSort;
}

export interface PlanFlags {
  hasFreePlan: boolean;
  hasPaidPlan: boolean;
}

/** A listing in the public catalog (alias `l`, parameter `:now`): public and published, or deprecated and not past its sunset. */
const IN_PUBLIC_CATALOG =
  "l.visibility = 'public' AND (l.status = 'published' OR (l.status = 'deprecated' AND (l.sunsetAt IS NULL OR l.sunsetAt > :now)))";

/** A plan consumers can pick: active and public. */
const SUBSCRIBABLE_PLAN = "pl.status = 'active' AND pl.visibility = 'public'";

/**
 * Read side of the public catalog. A listing is in the public catalog when it is public and
 * published, or deprecated and not past its sunset. Plans are read here (not through the plans
 * code) because the catalog page only needs their public face.
 */
@Injectable()
export class PublicCatalogRepository {
  constructor(private readonly dataSource: DataSource) {}

  async search(filter: PublicCatalogFilter, now: Date): Promise<{ rows: ApiListingEntity[]; total: number }> {
    const qb = this.dataSource
      .getRepository(ApiListingEntity)
      .createQueryBuilder('l')
      .innerJoinAndSelect('l.provider', 'p')
      .innerJoinAndSelect('l.category', 'c')
      .where("l.visibility = 'public'")
      .andWhere(
        "(l.status = 'published' OR (l.status = 'deprecated' AND (l.sunsetAt IS NULL OR l.sunsetAt > :now)))",
        { now },
      );
    if (filter.category !== undefined)
      qb.andWhere('l.categorySlug = :category', { category: filter.category });
    if (filter.tag !== undefined) qb.andWhere(':tag = ANY(l.tags)', { tag: filter.tag });
    if (filter.provider !== undefined) qb.andWhere('p.slug = :provider', { provider: filter.provider });
    if (filter.pricing !== undefined) this.wherePricing(qb, filter.pricing);
    if (filter.sort === 'name') {
      qb.addSelect('LOWER(l.name)', 'name_key').orderBy('name_key', 'ASC').addOrderBy('l.id', 'ASC');
    } else {
      qb.orderBy('l.publishedAt', 'DESC', 'NULLS LAST').addOrderBy('l.id', 'ASC');
    }
    // many-to-one joins only: LIMIT/OFFSET on the joined rows is exact
    qb.limit(filter.perPage).offset((filter.page - 1) * filter.perPage);
    const [rows, total] = await qb.getManyAndCount();
    return { rows, total };
  }

  /** The listings among `ids` that are in the public catalog (with provider and category); others are absent. */
  async publicByIds(ids: readonly string[], now: Date): Promise<ApiListingEntity[]> {
    if (ids.length === 0) return [];
    return this.dataSource
      .getRepository(ApiListingEntity)
      .createQueryBuilder('l')
      .innerJoinAndSelect('l.provider', 'p')
      .innerJoinAndSelect('l.category', 'c')
      .where('l.id IN (:...ids)', { ids })
      .andWhere(IN_PUBLIC_CATALOG, { now })
      .getMany();
  }

  /** Ids of the listings in the public catalog, in id order, the `limit` after `after` (keyset pages). */
  async publicIdsAfter(after: string | null, limit: number, now: Date): Promise<string[]> {
    const qb = this.dataSource
      .getRepository(ApiListingEntity)
      .createQueryBuilder('l')
      .select('l.id', 'id')
      .where(IN_PUBLIC_CATALOG, { now });
    if (after !== null) qb.andWhere('l.id > :after', { after });
    const rows = await qb.orderBy('l.id', 'ASC').limit(limit).getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }

  private wherePricing(qb: SelectQueryBuilder<ApiListingEntity>, pricing: PricingFilter): void {
    // paid = a price or billed overage (a soft quota); the rule lives with the plans
    const price = pricing === 'free' ? freePlanSql('pl') : paidPlanSql('pl');
    qb.andWhere(
      `EXISTS (SELECT 1 FROM plans pl WHERE pl.api_id = l.id AND ${SUBSCRIBABLE_PLAN} AND ${price})`,
    );
  }

  /** Whether each API has a free and/or a paid subscribable plan. */
  async planFlags(apiIds: readonly string[]): Promise<Map<string, PlanFlags>> {
    const flags = new Map<string, PlanFlags>(
      apiIds.map((id) => [id, { hasFreePlan: false, hasPaidPlan: false }]),
    );
    if (apiIds.length === 0) return flags;
    const rows = await this.dataSource.query<{ api_id: string; has_free: boolean; has_paid: boolean }[]>(
      `SELECT pl.api_id, bool_or(${freePlanSql('pl')}) AS has_free, bool_or(${paidPlanSql('pl')}) AS has_paid
         FROM plans pl WHERE pl.api_id = ANY($1::uuid[]) AND ${SUBSCRIBABLE_PLAN}
        GROUP BY pl.api_id`,
      [apiIds],
    );
    for (const row of rows) flags.set(row.api_id, { hasFreePlan: row.has_free, hasPaidPlan: row.has_paid });
    return flags;
  }
}
