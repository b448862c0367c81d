import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type EntityManager, type Repository } from 'typeorm';
import { ApplicationEntity } from './application.entity';

/** Applications are consumer-owned: every method takes the owner's account id. */
@Injectable()
export class ApplicationRepository {
  constructor(@InjectRepository(ApplicationEntity) private readonly repo: Repository<ApplicationEntity>) {}

  list(accountId: string): Promise<ApplicationEntity[]> {
    return this.repo.find({ where: { accountId, deletedAt: IsNull() }, order: { createdAt: 'ASC' } });
  }

  get(accountId: string, id: string): Promise<ApplicationEntity | null> {
    return this.repo.findOneBy({ accountId, id, deletedAt: IsNull() });
  }

  insert(
    manager: EntityManager,
    accountId: string,
    values: Pick<ApplicationEntity, 'name' | 'description'>,
  ): Promise<ApplicationEntity> {
    const repo = manager.getRepository(ApplicationEntity);
    return repo.save(repo.create({ ...values, accountId, deletedAt: null }));
  }

  async update(accountId: string, id: string, values: Partial<Pick<ApplicationEntity, 'name' | 'description'>>): Promise<void> {
    await this.repo.update({ accountId, id, deletedAt: IsNull() }, values);
  }

  async markDeleted(manager: EntityManager, accountId: string, id: string, now: Date): Promise<void> {
    await manager.getRepository(ApplicationEntity).update({ accountId, id, deletedAt: IsNull() }, { deletedAt: now });
  }
}
