import { EntityRowReader, pgBinaryArray, runPrepared, type PreparedStatement } from '@app/common';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, type EntityManager, type Repository, type SelectQueryBuilder } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity';

export type NewApiKey = Pick<
  ApiKeyEntity,
  | 'applicationId'
  | 'kind'
  | 'mode'
  | 'keyHash'
  | 'prefix'
  | 'lastFour'
  | 'label'
  | 'scopes'
  | 'ipAllowlist'
  | 'allowedOrigins'
  | 'expiresAt'
>;

export type ApiKeyChanges = Partial<
  Pick<
    ApiKeyEntity,
    'label' | 'scopes' | 'ipAllowlist' | 'allowedOrigins' | 'expiresAt' | 'revokedAt' | 'replacedByKeyId'
  >
>;

/** A key as the gateway's resolver needs it: the record plus whether its application was deleted. */
export interface KeyForResolution {
  key: ApiKeyEntity;
  applicationDeleted: boolean;
}

export interface KeyUse {
  keyId: string;
  usedAt: Date;
}

/**
 * How far a key's `last_used_at` may lag its latest call: a later use moves it only once it is at
 * least this much newer (every usage batch rewrote the rows of busy keys, bench:metering).
 */
export const LAST_USED_RESOLUTION_SECONDS = 60;

/** `recordUsage`'s statement: $1 key ids (each once), $2 their latest uses, $3 the resolution in seconds. */
const RECORD_USAGE: PreparedStatement = {
  name: 'identity.record-key-usage',
  text: `WITH u AS (
         SELECT * FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, used_at)
       ), locked AS (
         SELECT k.id FROM api_keys k JOIN u ON u.id = k.id
          WHERE k.last_used_at IS NULL OR k.last_used_at <= u.used_at - make_interval(secs => $3)
          ORDER BY k.id
          FOR UPDATE OF k
       )
       UPDATE api_keys AS k SET last_used_at = u.used_at
         FROM u, locked
        WHERE k.id = locked.id AND u.id = k.id
          AND (k.last_used_at IS NULL OR k.last_used_at <= u.used_at - make_interval(secs => $3))`,
};

/**
 * Keys are consumer-owned: every method a user can reach takes the owner's account id, and keys of
 * a deleted application are invisible to them. `findByHash` and `recordUsage` are system paths
 * (the gateway and the worker), named as such.
 */
@Injectable()
export class ApiKeyRepository {
  /** `findByHash`: the gateway reloads every key it serves this way, about twice a minute. */
  private readonly byHash: EntityRowReader<ApiKeyEntity, { applicationDeleted: boolean }>;

  constructor(@InjectRepository(ApiKeyEntity) private readonly repo: Repository<ApiKeyEntity>) {
    this.byHash = new EntityRowReader<ApiKeyEntity, { applicationDeleted: boolean }>(
      repo.manager.connection,
      ApiKeyEntity,
      'key_hash = $1',
      {
        applicationDeleted: `EXISTS (SELECT 1 FROM applications a
        WHERE a.id = api_keys.application_id AND a.deleted_at IS NOT NULL)`,
      },
    );
  }

  private owned(repo: Repository<ApiKeyEntity>, accountId: string): SelectQueryBuilder<ApiKeyEntity> {
    return repo
      .createQueryBuilder('k')
      .innerJoin('k.application', 'a', 'a.deletedAt IS NULL')
      .where('k.accountId = :accountId', { accountId });
  }

  listForApplication(accountId: string, applicationId: string): Promise<ApiKeyEntity[]> {
    return this.owned(this.repo, accountId)
      .andWhere('k.applicationId = :applicationId', { applicationId })
      .orderBy('k.createdAt', 'ASC')
      .addOrderBy('k.id', 'ASC')
      .getMany();
  }

  get(accountId: string, id: string): Promise<ApiKeyEntity | null> {
    return this.owned(this.repo, accountId).andWhere('k.id = :id', { id }).getOne();
  }

  /** Reads the key and locks it (and its application row) until the transaction ends. */
  lockForUpdate(manager: EntityManager, accountId: string, id: string): Promise<ApiKeyEntity | null> {
    return this.owned(manager.getRepository(ApiKeyEntity), accountId)
      .andWhere('k.id = :id', { id })
      .setLock('pessimistic_write')
      .getOne();
  }

  insert(manager: EntityManager, accountId: string, values: NewApiKey): Promise<ApiKeyEntity> {
    const repo = manager.getRepository(ApiKeyEntity);
    return repo.save(
      repo.create({ ...values, accountId, lastUsedAt: null, revokedAt: null, replacedByKeyId: null }),
    );
  }

  async update(manager: EntityManager, accountId: string, id: string, changes: ApiKeyChanges): Promise<void> {
    await manager.getRepository(ApiKeyEntity).update({ accountId, id }, changes);
  }

  /**
   * Revokes every key of the application that is not revoked yet (or only scheduled to be, by a
   * rotation) and answers their hashes, so caches can be told.
   */
  async revokeAllForApplication(
    manager: EntityManager,
    accountId: string,
    applicationId: string,
    now: Date,
  ): Promise<string[]> {
    const result = await manager
      .getRepository(ApiKeyEntity)
      .createQueryBuilder()
      .update()
      .set({ revokedAt: now })
      .where('account_id = :accountId AND application_id = :applicationId', { accountId, applicationId })
      .andWhere(new Brackets((qb) => qb.where('revoked_at IS NULL').orWhere('revoked_at > :now', { now })))
      .returning('key_hash')
      .execute();
    return (result.raw as { key_hash: string }[]).map((row) => row.key_hash);
  }

  /** System read for key resolution (the gateway): by hash, not owner-scoped. */
  async findByHash(keyHash: string): Promise<KeyForResolution | null> {
    // one query, its SQL written once (a query builder joining the application cost ~0.2 ms more CPU)
    const found = await this.byHash.read([keyHash]);
    return found && { key: found.entity, applicationDeleted: found.extras.applicationDeleted };
  }

  /**
   * System write for the worker: moves last_used_at forward (never back) for each key, in one
   * statement, and only by LAST_USED_RESOLUTION_SECONDS or more — a key called all the time is
   * rewritten once a minute, not by every usage batch. Rows are locked in primary-key order first,
   * so two batches touching the same keys cannot deadlock. `uses` must hold each key once. Returns
   * how many keys moved.
   */
  async recordUsage(uses: readonly KeyUse[], manager?: EntityManager): Promise<number> {
    if (uses.length === 0) return 0;
    // run after every usage batch: prepared, the keys and times as binary arrays
    const { rowCount } = await runPrepared(
      this.repo.manager.connection,
      RECORD_USAGE,
      [
        pgBinaryArray.uuid(uses.map((use) => use.keyId)),
        pgBinaryArray.timestamptz(uses.map((use) => use.usedAt.getTime())),
        LAST_USED_RESOLUTION_SECONDS,
      ],
      manager,
    );
    return rowCount ?? 0;
  }
}
