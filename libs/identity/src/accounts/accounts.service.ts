import { AppError, isUniqueViolation, notFound, validationFailed } from '@app/common';
import { Injectable } from '@nestjs/common';
import { SessionsService } from '../sessions/sessions.service';
import type { AccountEntity } from './account.entity';
import { AccountOpeningService, defaultDisplayName, type OpenedAccount } from './account-opening.service';
import { AccountRepository } from './account.repository';
import { AuthThrottle } from './auth-throttle';
import { PasswordHasher } from './password-hasher';

export { DEFAULT_APPLICATION_NAME } from './account-opening.service';

export interface SignUpInput {
  email: string;
  password: string;
  displayName?: string;
}

/** What the account holder may change about how they appear (reviews, providers' analytics, invoices drafted from now on). */
export interface ProfileChange {
  displayName: string;
}

/** Longest display name, as at sign-up. */
export const MAX_DISPLAY_NAME = 100;

/** An account as the provider of an API it subscribes to sees it (analytics). */
export interface PublicProfile {
  id: string;
  displayName: string;
  emailDomain: string;
}

/** Everything a new consumer needs to make a first call: the account, a default app and a test key. */
export type SignUpResult = OpenedAccount;

@Injectable()
export class AccountsService {
  constructor(
    private readonly accounts: AccountRepository,
    private readonly opening: AccountOpeningService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly throttle: AuthThrottle,
  ) {}

  /** The accounts holding the admin role (billing notifies them about disputes). */
  adminAccountIds(): Promise<string[]> {
    return this.accounts.adminIds();
  }

  async get(accountId: string): Promise<AccountEntity> {
    const account = await this.accounts.findById(accountId);
    if (!account) throw notFound('Account');
    return account;
  }

  /**
   * What a provider may learn about the consumers of its APIs (analytics): the display name and
   * the domain of the email, never the address itself. Unknown ids are left out.
   */
  async publicProfiles(accountIds: readonly string[]): Promise<Map<string, PublicProfile>> {
    const accounts = await this.accounts.findByIds([...new Set(accountIds)]);
    return new Map(
      accounts.map((a) => [a.id, { id: a.id, displayName: a.displayName, emailDomain: a.email.slice(a.email.lastIndexOf('@') + 1) }]),
    );
  }

  async signUp(input: SignUpInput, ip: string): Promise<SignUpResult> {
    const email = input.email.trim().toLowerCase();
    await this.throttle.signup(ip, email);
    const passwordHash = await this.hasher.hash(input.password);
    try {
      return await this.opening.open({ email, passwordHash, displayName: input.displayName?.trim() || defaultDisplayName(email) });
    } catch (error) {
      if (isUniqueViolation(error, 'uq_accounts__email')) {
        throw new AppError('conflict', 'An account with this email already exists. Log in instead.', { field: 'email' });
      }
      throw error;
    }
  }

  /** Email + password login. The same error for an unknown email and a wrong password. */
  async logIn(emailInput: string, password: string, ip: string): Promise<AccountEntity> {
    const email = emailInput.trim().toLowerCase();
    await this.throttle.login(ip, email);
    const account = await this.accounts.findByEmail(email);
    const ok = await this.hasher.verify(account?.passwordHash ?? null, password);
    if (!account || !ok) {
      throw new AppError('invalid_credentials', 'The email or password is not correct. Check both, or sign in with GitHub if that is how you signed up.');
    }
    await this.throttle.loginSucceeded(email);
    return account;
  }

  /**
   * Changes the display name (trimmed; 1–100 characters). An account opened without one shows the
   * local part of its email (reviews, providers' analytics) until it is changed here.
   */
  async updateProfile(accountId: string, change: ProfileChange): Promise<AccountEntity> {
    const displayName = change.displayName.trim();
    if (displayName === '' || displayName.length > MAX_DISPLAY_NAME)
      throw validationFailed('displayName', `must be 1–${MAX_DISPLAY_NAME} characters once trimmed`);
    await this.get(accountId);
    await this.accounts.update(accountId, { displayName });
    return this.get(accountId);
  }

  /** Changes the password and ends every other session of the account. */
  async changePassword(accountId: string, currentSessionId: string, currentPassword: string | undefined, newPassword: string): Promise<void> {
    const account = await this.get(accountId);
    if (account.passwordHash !== null) {
      if (currentPassword === undefined || !(await this.hasher.verify(account.passwordHash, currentPassword))) {
        throw new AppError('invalid_credentials', 'currentPassword is not correct.', { field: 'currentPassword' });
      }
    }
    await this.accounts.update(accountId, { passwordHash: await this.hasher.hash(newPassword) });
    await this.sessions.revokeAll(accountId, currentSessionId);
  }
}
