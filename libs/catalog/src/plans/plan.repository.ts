import { EntityRowReader } from '@app/common';
import { Injectable } from '@nestjs/common';
import { Brackets, DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { ApiInvitationEntity } from '../listings/api-invitation.entity';
import { ApiListingEntity, type ListingStatus } from '../listings/api-listing.entity';
import { ProviderEntity } from '../providers/provider.entity';
import { PlanEntity, type PlanStatus } from './plan.entity';

/** A listing as the plans code needs it. */
export interface PlanListing {
  id: string;
  providerId: string;
  status: ListingStatus;
  publishedAt: Date | null;
}

export type NewPlan = Omit<PlanEntity, 'api' | 'createdAt' | 'updatedAt'>;
export type PlanChanges = Partial<
  Omit<PlanEntity, 'id' | 'apiId' | 'api' | 'familyId' | 'version' | 'createdAt' | 'updatedAt'>
>;

export interface PlanInvitation {
  id: string;
  planId: string;
  email: string;
  createdAt: Date;
}

/**
 * SQL for "this plans row is paid" (a monthly price, or overage billing), the database form of
 * `isPaid` in plan.rules.ts: use it wherever a query tells free from paid plans.
 */
export function paidPlanSql(alias: string): string {
  return `(${alias}.price_amount_minor > 0 OR ${alias}.quota_mode = 'soft')`;
}

export function freePlanSql(alias: string): string {
  return `NOT ${paidPlanSql(alias)}`;
}

const LISTING_COLUMNS = ['l.id', 'l.providerId', 'l.status', 'l.publishedAt'];

/**
 * The `plans` table and the plan rows of `api_invitations`. Reads and writes a provider makes go
 * through methods taking the owner's account id, joined api_listings → providers on it, so an
 * unscoped query does not type-check; the system methods (public catalog, publishing, the listing
 * create transaction, subscriptions) take ids only and are never reached with a caller-chosen id
 * before an owner or visibility check.
 */
@Injectable()
export class PlanRepository {
  /** `findById`: the gateway's subscription reload reads the plan this way, twice a minute per consumer and API. */
  private readonly byId: EntityRowReader<PlanEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.byId = new EntityRowReader(dataSource, PlanEntity, 'id = $1');
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  // ---- listings -------------------------------------------------------------------------------

  /** The listing if the account owns its provider, else null; `lock` takes it FOR UPDATE (serializes plan writes per API). */
  async findOwnedListing(
    ownerAccountId: string,
    apiId: string,
    manager: EntityManager = this.dataSource.manager,
    lock = false,
  ): Promise<PlanListing | null> {
    const query = manager
      .createQueryBuilder(ApiListingEntity, 'l')
      .select(LISTING_COLUMNS)
      .innerJoin(ProviderEntity, 'p', 'p.id = l.provider_id AND p.owner_account_id = :ownerAccountId', {
        ownerAccountId,
      })
      .where('l.id = :apiId', { apiId });
    if (lock) query.setLock('pessimistic_write', undefined, ['l']);
    return (await query.getOne()) ?? null;
  }

  /** System read of a listing (publishing, the listing create transaction). */
  async findListing(
    apiId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<PlanListing | null> {
    return (
      (await manager
        .createQueryBuilder(ApiListingEntity, 'l')
        .select(LISTING_COLUMNS)
        .where('l.id = :apiId', { apiId })
        .getOne()) ?? null
    );
  }

  // ---- owner reads and writes -----------------------------------------------------------------

  listOwned(ownerAccountId: string, apiId: string, statuses: readonly PlanStatus[]): Promise<PlanEntity[]> {
    return this.ownedPlans(this.dataSource.manager, ownerAccountId, apiId)
      .andWhere('plan.status IN (:...statuses)', { statuses })
      .orderBy('plan.sortOrder', 'ASC')
      .addOrderBy('plan.priceAmountMinor', 'ASC')
      .addOrderBy('plan.createdAt', 'ASC')
      .addOrderBy('plan.version', 'ASC')
      .getMany();
  }

  /** The plan if it belongs to this API of the account's provider; `lock` takes it FOR UPDATE. */
  async findOwned(
    ownerAccountId: string,
    apiId: string,
    planId: string,
    manager: EntityManager = this.dataSource.manager,
    lock = false,
  ): Promise<PlanEntity | null> {
    const query = this.ownedPlans(manager, ownerAccountId, apiId).andWhere('plan.id = :planId', { planId });
    if (lock) query.setLock('pessimistic_write', undefined, ['plan']);
    return (await query.getOne()) ?? null;
  }

  /** Active plans of an API (for the per-API limit and name uniqueness), inside the caller's transaction. */
  listActive(apiId: string, manager: EntityManager = this.dataSource.manager): Promise<PlanEntity[]> {
    return manager
      .getRepository(PlanEntity)
      .createQueryBuilder('plan')
      .where('plan.apiId = :apiId', { apiId })
      .andWhere("plan.status = 'active'")
      .orderBy('plan.sortOrder', 'ASC')
      .addOrderBy('plan.priceAmountMinor', 'ASC')
      .addOrderBy('plan.createdAt', 'ASC')
      .getMany();
  }

  async insert(manager: EntityManager, values: NewPlan): Promise<PlanEntity> {
    const repo = manager.getRepository(PlanEntity);
    return repo.save(repo.create(values));
  }

  async update(manager: EntityManager, planId: string, changes: PlanChanges): Promise<void> {
    if (Object.keys(changes).length === 0) return;
    await manager.getRepository(PlanEntity).update({ id: planId }, changes);
  }

  async reload(manager: EntityManager, planId: string): Promise<PlanEntity> {
    return manager.getRepository(PlanEntity).findOneByOrFail({ id: planId });
  }

  // ---- invitations (owner-scoped through the plan) --------------------------------------------

  /** Adds invitations (existing ones are kept as they are), inside the caller's transaction. */
  async addInvitations(
    manager: EntityManager,
    apiId: string,
    planId: string,
    emails: readonly string[],
  ): Promise<void> {
    if (emails.length === 0) return;
    await manager
      .createQueryBuilder()
      .insert()
      .into(ApiInvitationEntity)
      .values(emails.map((email) => ({ apiId, planId, email })))
      .orIgnore()
      .execute();
  }

  /** Gives a new plan version the invitations of the version it replaces. */
  async copyInvitations(manager: EntityManager, fromPlanId: string, toPlanId: string): Promise<void> {
    await manager.query(
      `INSERT INTO api_invitations (api_id, plan_id, email)
       SELECT api_id, $2, email FROM api_invitations WHERE plan_id = $1
       ON CONFLICT DO NOTHING`,
      [fromPlanId, toPlanId],
    );
  }

  countInvitations(manager: EntityManager, planId: string): Promise<number> {
    return manager.getRepository(ApiInvitationEntity).countBy({ planId });
  }

  async listInvitations(ownerAccountId: string, apiId: string, planId: string): Promise<PlanInvitation[]> {
    const rows = await this.ownedInvitations(ownerAccountId, apiId, planId)
      .orderBy('i.email', 'ASC')
      .getMany();
    return rows.map((row) => ({ id: row.id, planId, email: row.email, createdAt: row.createdAt }));
  }

  /** Deletes one invitation of the owner's plan; false when there is none with this id. */
  async deleteInvitation(
    ownerAccountId: string,
    apiId: string,
    planId: string,
    invitationId: string,
  ): Promise<boolean> {
    const found = await this.ownedInvitations(ownerAccountId, apiId, planId)
      .andWhere('i.id = :invitationId', { invitationId })
      .getOne();
    if (!found) return false;
    await this.dataSource.getRepository(ApiInvitationEntity).delete({ id: found.id });
    return true;
  }

  // ---- system reads ---------------------------------------------------------------------------

  findById(planId: string): Promise<PlanEntity | null> {
    return this.byId.findOne([planId]);
  }

  /** Active plans of an API a viewer may see: public ones, plus private ones the email is invited to. */
  listVisible(apiId: string, viewerEmail: string | null): Promise<PlanEntity[]> {
    const query = this.dataSource
      .getRepository(PlanEntity)
      .createQueryBuilder('plan')
      .where('plan.apiId = :apiId', { apiId })
      .andWhere("plan.status = 'active'");
    this.visibleTo(query, viewerEmail);
    return query
      .orderBy('plan.sortOrder', 'ASC')
      .addOrderBy('plan.priceAmountMinor', 'ASC')
      .addOrderBy('plan.createdAt', 'ASC')
      .getMany();
  }

  /** The plan if it is active and visible to the viewer (public, or private and invited). */
  async findVisible(planId: string, viewerEmail: string | null): Promise<PlanEntity | null> {
    const query = this.dataSource
      .getRepository(PlanEntity)
      .createQueryBuilder('plan')
      .where('plan.id = :planId', { planId })
      .andWhere("plan.status = 'active'");
    this.visibleTo(query, viewerEmail);
    return (await query.getOne()) ?? null;
  }

  private visibleTo(query: SelectQueryBuilder<PlanEntity>, viewerEmail: string | null): void {
    query.andWhere(
      new Brackets((where) => {
        where.where("plan.visibility = 'public'");
        if (viewerEmail !== null)
          where.orWhere(
            'EXISTS (SELECT 1 FROM api_invitations i WHERE i.plan_id = plan.id AND i.email = :viewerEmail)',
            {
              viewerEmail,
            },
          );
      }),
    );
  }

  private ownedPlans(
    manager: EntityManager,
    ownerAccountId: string,
    apiId: string,
  ): SelectQueryBuilder<PlanEntity> {
    return manager
      .getRepository(PlanEntity)
      .createQueryBuilder('plan')
      .innerJoin(ApiListingEntity, 'l', 'l.id = plan.api_id')
      .innerJoin(ProviderEntity, 'p', 'p.id = l.provider_id AND p.owner_account_id = :ownerAccountId', {
        ownerAccountId,
      })
      .where('plan.apiId = :apiId', { apiId });
  }

  private ownedInvitations(
    ownerAccountId: string,
    apiId: string,
    planId: string,
  ): SelectQueryBuilder<ApiInvitationEntity> {
    return this.dataSource
      .getRepository(ApiInvitationEntity)
      .createQueryBuilder('i')
      .select(['i.id', 'i.planId', 'i.email', 'i.createdAt'])
      .innerJoin(PlanEntity, 'plan', 'plan.id = i.plan_id AND plan.apiId = :apiId', { apiId })
      .innerJoin(ApiListingEntity, 'l', 'l.id = plan.api_id')
      .innerJoin(ProviderEntity, 'p', 'p.id = l.provider_id AND p.owner_account_id = :ownerAccountId', {
        ownerAccountId,
      })
      .where('i.plan_id = :planId', { planId });
  }
}
