import { EntityRowReader } from '@app/common';
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ApiListingEntity, type ListingStatus } from './api-listing.entity';

/** The columns a listing is created with (everything but the generated ones). */
export type NewListing = Omit<ApiListingEntity, 'createdAt' | 'updatedAt' | 'provider' | 'category'>;

/** What owner and system updates may change (never the id, the provider or the timestamps). */
export type ListingChanges = Partial<Omit<NewListing, 'id' | 'providerId'>>;

/**
 * The `api_listings` table. Methods over a provider's listings take the provider id as a required
 * argument and put it in the WHERE clause, so an unscoped read or write does not type-check; an id
 * of another provider's listing answers exactly like an unknown id. The system methods (admin
 * review, gateway resolution) are named for their caller and are never reachable with a
 * caller-chosen provider.
 */
@Injectable()
export class ApiListingRepository {
  /** `findForGateway`: the gateway reloads every API it serves this way, about twice a minute. */
  private readonly bySlug: EntityRowReader<ApiListingEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.bySlug = new EntityRowReader(dataSource, ApiListingEntity, 'slug = $1');
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async insert(manager: EntityManager, values: NewListing): Promise<ApiListingEntity> {
    const repo = manager.getRepository(ApiListingEntity);
    await repo.insert(values);
    return repo.findOneByOrFail({ id: values.id });
  }

  findOwned(
    providerId: string,
    apiId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<ApiListingEntity | null> {
    return manager.getRepository(ApiListingEntity).findOneBy({ id: apiId, providerId });
  }

  /** As findOwned, locking the row until the transaction ends (serialises lifecycle changes and rotations per API). */
  lockOwned(manager: EntityManager, providerId: string, apiId: string): Promise<ApiListingEntity | null> {
    return manager
      .getRepository(ApiListingEntity)
      .createQueryBuilder('l')
      .where('l.id = :apiId AND l.providerId = :providerId', { apiId, providerId })
      .setLock('pessimistic_write')
      .getOne();
  }

  listOwned(providerId: string): Promise<ApiListingEntity[]> {
    return this.dataSource
      .getRepository(ApiListingEntity)
      .find({ where: { providerId }, order: { createdAt: 'DESC', id: 'ASC' } });
  }

  async updateOwned(
    manager: EntityManager,
    providerId: string,
    apiId: string,
    changes: ListingChanges,
  ): Promise<void> {
    if (Object.keys(changes).length === 0) return;
    await manager.getRepository(ApiListingEntity).update({ id: apiId, providerId }, changes);
  }

  async deleteOwned(manager: EntityManager, providerId: string, apiId: string): Promise<boolean> {
    const result = await manager.getRepository(ApiListingEntity).delete({ id: apiId, providerId });
    return (result.affected ?? 0) > 0;
  }

  // ---- system methods -------------------------------------------------------------------------

  /** System (admin review, gateway secret bootstrap): a listing by id, locked until the transaction ends. */
  lockById(manager: EntityManager, apiId: string): Promise<ApiListingEntity | null> {
    return manager
      .getRepository(ApiListingEntity)
      .createQueryBuilder('l')
      .where('l.id = :apiId', { apiId })
      .setLock('pessimistic_write')
      .getOne();
  }

  async updateById(manager: EntityManager, apiId: string, changes: ListingChanges): Promise<void> {
    await manager.getRepository(ApiListingEntity).update({ id: apiId }, changes);
  }

  /** Admin review queue: listings in a status, oldest change first, with their provider. */
  listByStatus(status: ListingStatus, limit: number): Promise<ApiListingEntity[]> {
    return this.dataSource.getRepository(ApiListingEntity).find({
      where: { status },
      relations: { provider: true },
      order: { updatedAt: 'ASC', id: 'ASC' },
      take: limit,
    });
  }

  /** Public reads by id (subscriptions): a listing with its provider. */
  findById(apiId: string): Promise<ApiListingEntity | null> {
    return this.dataSource
      .getRepository(ApiListingEntity)
      .findOne({ where: { id: apiId }, relations: { provider: true, category: true } });
  }

  /** System read (platform analytics): the provider of each listing id given. */
  async providerIds(apiIds: readonly string[]): Promise<Map<string, string>> {
    if (apiIds.length === 0) return new Map();
    const rows = await this.dataSource.query<{ id: string; provider_id: string }[]>(
      'SELECT id, provider_id FROM api_listings WHERE id = ANY($1::uuid[])',
      [apiIds],
    );
    return new Map(rows.map((row) => [row.id, row.provider_id]));
  }

  /** System read of the gateway: a listing by slug, without its relations, by SQL written once. */
  findForGateway(slug: string): Promise<ApiListingEntity | null> {
    return this.bySlug.findOne([slug]);
  }

  /** Public reads: a listing by slug, with its provider and category. */
  findBySlug(slug: string): Promise<ApiListingEntity | null> {
    // one query: findOne with relations runs two (TypeORM's distinct-id query for its `take`, then the rows)
    return this.dataSource
      .getRepository(ApiListingEntity)
      .createQueryBuilder('l')
      .leftJoinAndSelect('l.provider', 'p')
      .leftJoinAndSelect('l.category', 'c')
      .where('l.slug = :slug', { slug })
      .getOne();
  }
}
