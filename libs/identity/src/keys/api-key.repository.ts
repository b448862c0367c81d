import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity';

export type NewApiKey = Pick<
  ApiKeyEntity,
  'applicationId' | 'kind' | 'mode' | 'keyHash' | 'prefix' | 'lastFour' | 'label' | 'scopes' | 'ipAllowlist' | 'allowedOrigins' | 'expiresAt'
>;

/** Keys are consumer-owned: every method a user can reach takes the owner's account id. */
@Injectable()
export class ApiKeyRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly repo: Repository<ApiKeyEntity>) {}

  listForApplication(accountId: string, applicationId: string): Promise<ApiKeyEntity[]> {
    return this.repo.find({ where: { accountId, applicationId }, order: { createdAt: 'ASC' } });
  }

  get(accountId: string, id: string): Promise<ApiKeyEntity | null> {
    return this.repo.findOneBy({ accountId, id });
  }

  insert(manager: EntityManager, accountId: string, values: NewApiKey): Promise<ApiKeyEntity> {
    const repo = manager.getRepository(ApiKeyEntity);
    return repo.save(repo.create({ ...values, accountId, lastUsedAt: null, revokedAt: null, replacedByKeyId: null }));
  }

  /** System read for key resolution (the gateway): by hash, not owner-scoped. */
  findByHash(keyHash: string): Promise<ApiKeyEntity | null> {
    return this.repo.findOneBy({ keyHash });
  }
}
