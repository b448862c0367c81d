import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, IsNull, type EntityManager, type Repository } from 'typeorm';
import { AccountEntity, type Role } from './account.entity';

export type NewAccount = Pick<AccountEntity, 'email' | 'passwordHash' | 'displayName'> &
  Partial<Pick<AccountEntity, 'roles' | 'githubId' | 'githubLogin'>>;

/**
 * Accounts are the owners themselves: every method is keyed by the account's own id, email or
 * GitHub id (the identities a caller proves), never an open-ended query.
 */
@Injectable()
export class AccountRepository {
  constructor(@InjectRepository(AccountEntity) private readonly repo: Repository<AccountEntity>) {}

  findById(id: string): Promise<AccountEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** System read (analytics): the accounts with these ids, for the limited profile other parties may see. */
  findByIds(ids: readonly string[]): Promise<AccountEntity[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.repo.findBy({ id: In([...ids]) });
  }

  /** System read (billing's admin notifications): the ids of the accounts holding the admin role. */
  async adminIds(): Promise<string[]> {
    const rows = await this.repo
      .createQueryBuilder('account')
      .select('account.id', 'id')
      .where(':role = ANY(account.roles)', { role: 'admin' })
      .orderBy('account.id')
      .getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }

  findByEmail(email: string): Promise<AccountEntity | null> {
    return this.repo.findOneBy({ email: email.toLowerCase() });
  }

  findByGithubId(githubId: string): Promise<AccountEntity | null> {
    return this.repo.findOneBy({ githubId });
  }

  insert(manager: EntityManager, values: NewAccount): Promise<AccountEntity> {
    const repo = manager.getRepository(AccountEntity);
    return repo.save(repo.create({ roles: [], githubId: null, githubLogin: null, ...values, email: values.email.toLowerCase() }));
  }

  async update(id: string, values: Partial<Pick<AccountEntity, 'passwordHash' | 'displayName' | 'githubLogin'>>): Promise<void> {
    await this.repo.update({ id }, values);
  }

  /** Links a GitHub identity to an account that has none yet; false when it already had one (a concurrent link). */
  async linkGithub(id: string, githubId: string, githubLogin: string): Promise<boolean> {
    const result = await this.repo.update({ id, githubId: IsNull() }, { githubId, githubLogin });
    return (result.affected ?? 0) > 0;
  }

  /** Adds a role atomically; false when the account already had it (or does not exist). */
  async addRole(id: string, role: Role): Promise<boolean> {
    const result = await this.repo
      .createQueryBuilder()
      .update(AccountEntity)
      .set({ roles: () => 'array_append(roles, :role)' })
      .where('id = :id AND NOT (:role = ANY(roles))', { id, role })
      .execute();
    return (result.affected ?? 0) > 0;
  }
}
