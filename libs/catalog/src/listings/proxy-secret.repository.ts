import { EntityRowReader } from '@app/common';
import { Injectable } from '@nestjs/common';
import { Brackets, DataSource, IsNull, LessThanOrEqual, type EntityManager } from 'typeorm';
import { ApiListingEntity } from './api-listing.entity';
import { ProxySecretEntity } from './proxy-secret.entity';

/** Scopes a statement on api_proxy_secrets (api_id = :apiId) to listings of :providerId. */
const OWNED_LISTING =
  'EXISTS (SELECT 1 FROM api_listings l WHERE l.id = :apiId AND l.provider_id = :providerId)';

/**
 * The `api_proxy_secrets` table. Owner methods take the provider id and only touch secrets of a
 * listing that provider owns; `listLive` is the system read of the gateway.
 */
@Injectable()
export class ProxySecretRepository {
  /** `listLive`: every gateway reloads each API it serves about twice a minute. */
  private readonly live: EntityRowReader<ProxySecretEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.live = new EntityRowReader(
      dataSource,
      ProxySecretEntity,
      'api_id = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY expires_at DESC NULLS FIRST, created_at DESC',
    );
  }

  /** A new current secret (expiresAt null). Call inside the transaction that created or locked the owned listing. */
  async insert(
    manager: EntityManager,
    values: Pick<ProxySecretEntity, 'id' | 'apiId' | 'secretCiphertext'>,
  ): Promise<void> {
    await manager.getRepository(ProxySecretEntity).insert({ ...values, expiresAt: null });
  }

  /** The owner's view: the current secret and any previous one still inside its grace period, current first. */
  listLiveOwned(
    providerId: string,
    apiId: string,
    now: Date,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<ProxySecretEntity[]> {
    return this.liveQuery(manager, apiId, now)
      .innerJoin(ApiListingEntity, 'l', 'l.id = s.apiId AND l.providerId = :providerId', { providerId })
      .getMany();
  }

  /**
   * Rotation, inside the transaction that locked the owned listing: the current secret expires at
   * `currentExpiresAt`, any older secret still in its grace ends now (two secrets at most are ever
   * valid), and expired rows are deleted.
   */
  async retireOwned(
    manager: EntityManager,
    providerId: string,
    apiId: string,
    now: Date,
    currentExpiresAt: Date,
  ): Promise<void> {
    await manager
      .createQueryBuilder()
      .update(ProxySecretEntity)
      .set({ expiresAt: now })
      .where('api_id = :apiId AND expires_at > :now', { apiId, now })
      .andWhere(OWNED_LISTING, { providerId })
      .execute();
    await manager
      .createQueryBuilder()
      .update(ProxySecretEntity)
      .set({ expiresAt: currentExpiresAt })
      .where('api_id = :apiId AND expires_at IS NULL', { apiId })
      .andWhere(OWNED_LISTING, { providerId })
      .execute();
    await manager.getRepository(ProxySecretEntity).delete({ apiId, expiresAt: LessThanOrEqual(now) });
  }

  /** Gateway read (system): the live secrets of an API, current first. */
  listLive(apiId: string, now: Date): Promise<ProxySecretEntity[]> {
    return this.live.findAll([apiId, now]);
  }

  /** True when the API has a current secret (listings inserted without one get one lazily). */
  async hasCurrent(manager: EntityManager, apiId: string): Promise<boolean> {
    return manager.getRepository(ProxySecretEntity).exists({ where: { apiId, expiresAt: IsNull() } });
  }

  private liveQuery(manager: EntityManager, apiId: string, now: Date) {
    return manager
      .getRepository(ProxySecretEntity)
      .createQueryBuilder('s')
      .where('s.apiId = :apiId', { apiId })
      .andWhere(new Brackets((qb) => qb.where('s.expiresAt IS NULL').orWhere('s.expiresAt > :now', { now })))
      .orderBy('s.expiresAt', 'DESC', 'NULLS FIRST')
      .addOrderBy('s.createdAt', 'DESC');
  }
}
