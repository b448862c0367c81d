import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ApplicationEntity } from '../applications/application.entity';
import { ApplicationsService } from '../applications/applications.service';
import { ApiKeysService, type CreatedApiKey } from '../keys/api-keys.service';
import type { AccountEntity } from './account.entity';
import { AccountRepository, type NewAccount } from './account.repository';

/** Everything a new consumer needs to make a first call: the account, a default application and a test key. */
export interface OpenedAccount {
  account: AccountEntity;
  application: ApplicationEntity;
  key: CreatedApiKey;
}

export const DEFAULT_APPLICATION_NAME = 'Default application';
export const FIRST_KEY_LABEL = 'First test key';

/**
 * Opens an account the one way every account is opened (password sign-up, first GitHub sign-in,
 * the seeded admin): the account row, its default application and a first `mp_test_` key, in one
 * transaction. Internal to libs/identity (not exported from index.ts); callers map unique
 * violations (`uq_accounts__email`, `uq_accounts__github_id`) to their own errors.
 */
@Injectable()
export class AccountOpeningService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly accounts: AccountRepository,
    private readonly applications: ApplicationsService,
    private readonly keys: ApiKeysService,
  ) {}

  open(values: NewAccount): Promise<OpenedAccount> {
    return this.dataSource.transaction(async (manager) => {
      const account = await this.accounts.insert(manager, values);
      const application = await this.applications.createIn(manager, account.id, {
        name: DEFAULT_APPLICATION_NAME,
      });
      const key = await this.keys.createIn(manager, account.id, application.id, {
        kind: 'secret',
        mode: 'test',
        label: FIRST_KEY_LABEL,
      });
      return { account, application, key };
    });
  }
}

/** The display name of a new account when none was given: the email's local part. */
export function defaultDisplayName(email: string): string {
  return email.split('@')[0].slice(0, 100) || 'Portico user';
}
