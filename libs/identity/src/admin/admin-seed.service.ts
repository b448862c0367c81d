import { AppError, isUniqueViolation, notFound, randomToken, validationFailed } from '@app/common';
import { Injectable } from '@nestjs/common';
import { isEmail } from 'class-validator';
import type { AccountEntity } from '../accounts/account.entity';
import { AccountOpeningService, defaultDisplayName } from '../accounts/account-opening.service';
import { AccountRepository } from '../accounts/account.repository';
import { PasswordHasher } from '../accounts/password-hasher';
import { IdentityEnv } from '../identity.env';
import { SessionsService } from '../sessions/sessions.service';

export const ADMIN_PASSWORD_MIN_LENGTH = 10;

export interface AdminSeedInput {
  email: string;
  /** The password to set; omitted: generate one for a new admin, keep an existing admin's. */
  password?: string;
}

export interface AdminSeedResult {
  account: AccountEntity;
  /** True when the account did not exist and was opened now. */
  created: boolean;
  /** The generated password of a new admin: the only moment it exists in clear. Null otherwise. */
  generatedPassword: string | null;
  /** True when an existing account's password was replaced (its sessions were ended). */
  passwordChanged: boolean;
  /** True when the admin role was added now (false: the account already had it). */
  roleGranted: boolean;
}

export interface AdminGrantResult {
  account: AccountEntity;
  roleGranted: boolean;
}

/**
 * Creates or updates the operator's admin account (`portico seed-admin`, run by `npm run up`) and
 * grants the admin role to existing accounts (`portico grant-admin <email>`). Idempotent: running
 * the seed again with the same settings changes nothing. An existing password is never read back
 * or printed; only a freshly generated one is returned, once.
 */
@Injectable()
export class AdminSeedService {
  constructor(
    private readonly env: IdentityEnv,
    private readonly accounts: AccountRepository,
    private readonly opening: AccountOpeningService,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
  ) {}

  /** Seeds from ADMIN_EMAIL / ADMIN_PASSWORD. */
  async seedFromEnv(): Promise<AdminSeedResult> {
    if (!this.env.ADMIN_EMAIL) {
      throw new AppError(
        'validation_failed',
        'ADMIN_EMAIL is not set: set it to the email of the admin account to create or update (see .env.example).',
        {
          errors: [{ field: 'ADMIN_EMAIL', message: 'must be set' }],
        },
      );
    }
    return this.seed({ email: this.env.ADMIN_EMAIL, password: this.env.ADMIN_PASSWORD });
  }

  async seed(input: AdminSeedInput): Promise<AdminSeedResult> {
    const email = input.email.trim().toLowerCase();
    if (!isEmail(email)) throw validationFailed('email', 'must be an email address');
    if (input.password !== undefined && input.password.length < ADMIN_PASSWORD_MIN_LENGTH) {
      throw validationFailed('password', `must be at least ${ADMIN_PASSWORD_MIN_LENGTH} characters`);
    }
    const existing = await this.accounts.findByEmail(email);
    if (!existing) {
      try {
        return await this.create(email, input.password);
      } catch (error) {
        // opened concurrently by another seed run: fall through to updating it
        if (!isUniqueViolation(error, 'uq_accounts__email')) throw error;
      }
    }
    const account = existing ?? (await this.accounts.findByEmail(email));
    if (!account) throw notFound(`Account ${email}`);
    return this.update(account, input.password);
  }

  /** Adds the admin role to an existing account. */
  async grantAdmin(emailInput: string): Promise<AdminGrantResult> {
    const email = emailInput.trim().toLowerCase();
    const account = await this.accounts.findByEmail(email);
    if (!account) throw notFound(`An account with email ${email}`);
    const roleGranted = await this.ensureAdmin(account);
    return { account, roleGranted };
  }

  private async create(email: string, password: string | undefined): Promise<AdminSeedResult> {
    const generatedPassword = password === undefined ? generatePassword() : null;
    const passwordHash = await this.hasher.hash(password ?? generatedPassword!);
    const { account } = await this.opening.open({
      email,
      passwordHash,
      displayName: defaultDisplayName(email),
      roles: ['admin'],
    });
    return { account, created: true, generatedPassword, passwordChanged: false, roleGranted: true };
  }

  private async update(account: AccountEntity, password: string | undefined): Promise<AdminSeedResult> {
    const roleGranted = await this.ensureAdmin(account);
    let passwordChanged = false;
    if (password !== undefined && !(await this.hasher.verify(account.passwordHash, password))) {
      account.passwordHash = await this.hasher.hash(password);
      await this.accounts.update(account.id, { passwordHash: account.passwordHash });
      // the operator reset the password: whoever was signed in with the old one is signed out
      await this.sessions.revokeAll(account.id);
      passwordChanged = true;
    }
    return { account, created: false, generatedPassword: null, passwordChanged, roleGranted };
  }

  private async ensureAdmin(account: AccountEntity): Promise<boolean> {
    const granted = await this.accounts.addRole(account.id, 'admin');
    if (!account.roles.includes('admin')) account.roles = [...account.roles, 'admin'];
    return granted;
  }
}

/** 24 URL-safe characters, 144 bits of entropy. */
function generatePassword(): string {
  return randomToken(18);
}
