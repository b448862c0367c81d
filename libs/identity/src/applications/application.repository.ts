import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, type EntityManager, type Repository } from 'typeorm';
import { ApplicationEntity } from './application.entity';

/** Applications are consumer-owned: every method takes the owner's account id. Deleted ones are invisible. */
@Injectable()
export class ApplicationRepository {
  constructor(@InjectRepository(ApplicationEntity) private readonly repo: Repository<ApplicationEntity>) {}

  list(accountId: string): Promise<ApplicationEntity[]> {
    return this.repo.find({
      where: { accountId, deletedAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  get(accountId: string, id: string): Promise<ApplicationEntity | null> {
    return this.repo.findOneBy({ accountId, id, deletedAt: IsNull() });
  }

  /**
   * Reads the application and locks its row until the transaction ends: `update` for deletion,
   * `share` for adding keys (so a key cannot be added to an application being deleted).
   */
  lock(
    manager: EntityManager,
    accountId: string,
    id: string,
    mode: 'update' | 'share',
  ): Promise<ApplicationEntity | null> {
    return manager.getRepository(ApplicationEntity).findOne({
      where: { accountId, id, deletedAt: IsNull() },
      lock: { mode: mode === 'update' ? 'pessimistic_write' : 'pessimistic_read' },
    });
  }

  insert(
    manager: EntityManager,
    accountId: string,
    values: Pick<ApplicationEntity, 'name' | 'description'>,
  ): Promise<ApplicationEntity> {
    const repo = manager.getRepository(ApplicationEntity);
    return repo.save(repo.create({ ...values, accountId, deletedAt: null }));
  }

  /** Returns false when there is no such (live, owned) application. */
  async update(
    accountId: string,
    id: string,
    values: Partial<Pick<ApplicationEntity, 'name' | 'description'>>,
  ): Promise<boolean> {
    const result = await this.repo.update({ accountId, id, deletedAt: IsNull() }, values);
    return (result.affected ?? 0) > 0;
  }

  async markDeleted(manager: EntityManager, accountId: string, id: string, now: Date): Promise<void> {
    await manager
      .getRepository(ApplicationEntity)
      .update({ accountId, id, deletedAt: IsNull() }, { deletedAt: now });
  }
}
