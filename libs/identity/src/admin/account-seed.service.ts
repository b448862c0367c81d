import { isUniqueViolation, randomToken, validationFailed } from '@app/common';
import { Injectable } from '@nestjs/common';
import { isEmail } from 'class-validator';
import type { AccountEntity } from '../accounts/account.entity';
import {
  AccountOpeningService,
  defaultDisplayName,
  type OpenedAccount,
} from '../accounts/account-opening.service';
import { AccountRepository } from '../accounts/account.repository';
import { PasswordHasher } from '../accounts/password-hasher';

export interface AccountSeedInput {
  email: string;
  /** The password of a new account; omitted: a generated one (returned once). An existing account's password is never touched. */
  password?: string;
  displayName?: string;
}

export interface AccountSeedResult {
  account: AccountEntity;
  created: boolean;
  /** A new account's generated password: the only moment it exists in clear. Null otherwise. */
  generatedPassword: string | null;
  /** A new account's default application and first test key (with its secret); null for an existing account. */
  opened: Omit<OpenedAccount, 'account'> | null;
}

/**
 * Ensures an ordinary (non-admin) account exists, for seeds such as `portico seed-demo`: opened
 * the one way every account is opened (account, default application, first test key) when
 * missing, left exactly as it is when present. Idempotent; no throttle (an operator command).
 */
@Injectable()
export class AccountSeedService {
  constructor(
    private readonly accounts: AccountRepository,
    private readonly opening: AccountOpeningService,
    private readonly hasher: PasswordHasher,
  ) {}

  async ensure(input: AccountSeedInput): Promise<AccountSeedResult> {
    const email = input.email.trim().toLowerCase();
    if (!isEmail(email)) throw validationFailed('email', 'must be an email address');
    const existing = await this.accounts.findByEmail(email);
    if (existing) return { account: existing, created: false, generatedPassword: null, opened: null };
    const generatedPassword = input.password === undefined ? randomToken(18) : null;
    try {
      const { account, application, key } = await this.opening.open({
        email,
        passwordHash: await this.hasher.hash(input.password ?? generatedPassword!),
        displayName: input.displayName?.trim() || defaultDisplayName(email),
      });
      return { account, created: true, generatedPassword, opened: { application, key } };
    } catch (error) {
      if (!isUniqueViolation(error, 'uq_accounts__email')) throw error;
      // opened concurrently by another run
      const account = await this.accounts.findByEmail(email);
      if (!account) throw error;
      return { account, created: false, generatedPassword: null, opened: null };
    }
  }
}
