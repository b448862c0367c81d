import { EntityRowReader } from '@app/common';
import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, LessThanOrEqual, type EntityManager } from 'typeorm';
import { ProxySecretEntity } from './proxy-secret.entity';

/** Scopes a statement on api_proxy_secrets (api_id = :apiId) to listings of :providerId. */
const OWNED_LISTING =
  'EXISTS (SELECT 1 FROM api_listings l WHERE l.id = :apiId AND l.provider_id = :providerId)';

/** The live secrets of API `$1` at `$2` (the current one, and a previous one in its grace), current first. */
const LIVE = 'api_id = $1 AND (expires_at IS NULL OR expires_at > $2)';
const CURRENT_FIRST = 'ORDER BY expires_at DESC NULLS FIRST, created_at DESC';

/**
 * The `api_proxy_secrets` table. Owner methods take the provider id and only touch secrets of a
 * listing that provider owns; `listLive` is the system read of the gateway.
 */
@Injectable()
export class ProxySecretRepository {
  /** `listLive`: every gateway reloads each API it serves about twice a minute. */
  private readonly live: EntityRowReader<ProxySecretEntity>;
  /** `listLiveOwned`: the same rows, only when the listing belongs to provider `$3`. */
  private readonly liveOwned: EntityRowReader<ProxySecretEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.live = new EntityRowReader(dataSource, ProxySecretEntity, `${LIVE} ${CURRENT_FIRST}`);
    this.liveOwned = new EntityRowReader(
      dataSource,
      ProxySecretEntity,
      `${LIVE} AND EXISTS (SELECT 1 FROM api_listings l WHERE l.id = $1 AND l.provider_id = $3) ${CURRENT_FIRST}`,
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
    return this.liveOwned.findAll([apiId, now, providerId], manager);
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
}
