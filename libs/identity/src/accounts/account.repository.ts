import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { AccountEntity } from './account.entity';

@Injectable()
export class AccountRepository {
  constructor(@InjectRepository(AccountEntity) private readonly repo: Repository<AccountEntity>) {}

  findById(id: string): Promise<AccountEntity | null> {
    return this.repo.findOneBy({ id });
  }

  findByEmail(email: string): Promise<AccountEntity | null> {
    return this.repo.findOneBy({ email: email.toLowerCase() });
  }

  findByGithubId(githubId: string): Promise<AccountEntity | null> {
    return this.repo.findOneBy({ githubId });
  }

  insert(manager: EntityManager, values: Pick<AccountEntity, 'email' | 'passwordHash' | 'displayName'> & Partial<AccountEntity>): Promise<AccountEntity> {
    return manager.getRepository(AccountEntity).save(manager.getRepository(AccountEntity).create({ roles: [], ...values, email: values.email.toLowerCase() }));
  }

  async update(id: string, values: Partial<Pick<AccountEntity, 'passwordHash' | 'displayName' | 'githubId' | 'githubLogin' | 'roles'>>): Promise<void> {
    await this.repo.update({ id }, values);
  }
}
