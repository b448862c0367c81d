import { AppError } from '@app/common';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AccountsService } from '../accounts/accounts.service';
import { ApplicationsService } from '../applications/applications.service';
import { SessionsService } from '../sessions/sessions.service';
import { createIdentityTestContext } from '../testing/identity-test-context';
import { AdminSeedService } from './admin-seed.service';

let counter = 0;
function email(tag: string): string {
  counter += 1;
  return `${tag}-${process.pid}-${Date.now().toString(36)}-${counter}@example.com`;
}
function ip(): string {
  return `10.1.${Math.floor(counter / 250)}.${counter % 250}`;
}

describe('AdminSeedService (real PostgreSQL and Redis)', () => {
  let context: INestApplicationContext;
  let seeder: AdminSeedService;
  let accounts: AccountsService;

  beforeAll(async () => {
    context = await createIdentityTestContext({ ADMIN_EMAIL: undefined, ADMIN_PASSWORD: undefined });
    seeder = context.get(AdminSeedService);
    accounts = context.get(AccountsService);
  });

  afterAll(async () => {
    await context?.close();
  });

  async function passwordHash(accountId: string): Promise<string | null> {
    const [row] = await context
      .get(DataSource)
      .query<{ password_hash: string | null }[]>('SELECT password_hash FROM accounts WHERE id = $1', [
        accountId,
      ]);
    return row.password_hash;
  }

  it('creates a missing admin with a generated strong password, returned once, that logs in', async () => {
    const adminEmail = email('admin-new');
    const result = await seeder.seed({ email: adminEmail });

    expect(result).toMatchObject({ created: true, passwordChanged: false, roleGranted: true });
    expect(result.generatedPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(result.account.roles).toEqual(['admin']);
    const hash = await passwordHash(result.account.id);
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(hash).not.toContain(result.generatedPassword);

    const loggedIn = await accounts.logIn(adminEmail, result.generatedPassword!, ip());
    expect(loggedIn.id).toBe(result.account.id);
    // opened like every account: a default application to hold keys
    expect(await context.get(ApplicationsService).list(result.account.id)).toHaveLength(1);
  });

  it('creates a missing admin with the given password and generates nothing', async () => {
    const adminEmail = email('admin-pw');
    const result = await seeder.seed({
      email: adminEmail.toUpperCase(),
      password: 'the operator chose this',
    });
    expect(result).toMatchObject({ created: true, generatedPassword: null });
    expect(result.account.email).toBe(adminEmail);
    await expect(accounts.logIn(adminEmail, 'the operator chose this', ip())).resolves.toMatchObject({
      id: result.account.id,
    });
  });

  it('run again without a password, only ensures the admin role: the password is neither returned nor changed', async () => {
    const adminEmail = email('admin-again');
    const first = await seeder.seed({ email: adminEmail });
    const hashBefore = await passwordHash(first.account.id);

    const second = await seeder.seed({ email: adminEmail });
    expect(second).toMatchObject({
      created: false,
      generatedPassword: null,
      passwordChanged: false,
      roleGranted: false,
    });
    expect(second.account.id).toBe(first.account.id);
    expect(second.account.roles).toEqual(['admin']);
    expect(await passwordHash(first.account.id)).toBe(hashBefore);
    await accounts.logIn(adminEmail, first.generatedPassword!, ip());
  });

  it('grants the admin role to an existing account without touching its password or sessions', async () => {
    const userEmail = email('promoted');
    const { account } = await accounts.signUp({ email: userEmail, password: 'user password 123' }, ip());
    const session = await context.get(SessionsService).issue(account.id);

    const result = await seeder.seed({ email: userEmail });
    expect(result).toMatchObject({
      created: false,
      generatedPassword: null,
      passwordChanged: false,
      roleGranted: true,
    });
    expect((await accounts.get(account.id)).roles).toEqual(['admin']);
    await accounts.logIn(userEmail, 'user password 123', ip());
    expect(await context.get(SessionsService).authenticate(session.token)).not.toBeNull();
  });

  it('resets an existing admin’s password from the given one and ends their sessions; the same password again changes nothing', async () => {
    const adminEmail = email('admin-reset');
    const first = await seeder.seed({ email: adminEmail });
    const sessions = context.get(SessionsService);
    const session = await sessions.issue(first.account.id);

    const reset = await seeder.seed({ email: adminEmail, password: 'a new admin password' });
    expect(reset).toMatchObject({
      created: false,
      generatedPassword: null,
      passwordChanged: true,
      roleGranted: false,
    });
    expect(await sessions.authenticate(session.token)).toBeNull();
    await expect(accounts.logIn(adminEmail, first.generatedPassword!, ip())).rejects.toMatchObject({
      code: 'invalid_credentials',
    });
    await accounts.logIn(adminEmail, 'a new admin password', ip());

    const later = await sessions.issue(first.account.id);
    const again = await seeder.seed({ email: adminEmail, password: 'a new admin password' });
    expect(again.passwordChanged).toBe(false);
    expect(await sessions.authenticate(later.token)).not.toBeNull();
  });

  it('refuses a malformed email or a password under 10 characters with validation_failed', async () => {
    await expect(seeder.seed({ email: 'not-an-email' })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(seeder.seed({ email: email('short'), password: 'short' })).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });

  it('grant-admin: adds the role once to an existing account, and answers not_found for an unknown email', async () => {
    const userEmail = email('grant');
    const { account } = await accounts.signUp({ email: userEmail, password: 'user password 123' }, ip());
    await expect(seeder.grantAdmin(userEmail.toUpperCase())).resolves.toMatchObject({ roleGranted: true });
    await expect(seeder.grantAdmin(userEmail)).resolves.toMatchObject({ roleGranted: false });
    expect((await accounts.get(account.id)).roles).toEqual(['admin']);

    const missing = await seeder.grantAdmin(email('nobody')).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(AppError);
    expect(missing).toMatchObject({ code: 'not_found' });
  });

  it('seedFromEnv refuses to guess when ADMIN_EMAIL is not set', async () => {
    await expect(seeder.seedFromEnv()).rejects.toMatchObject({
      code: 'validation_failed',
      detail: expect.stringContaining('ADMIN_EMAIL'),
    });
  });

  it('seedFromEnv reads ADMIN_EMAIL and ADMIN_PASSWORD', async () => {
    const adminEmail = email('admin-env');
    const envContext = await createIdentityTestContext({
      ADMIN_EMAIL: adminEmail,
      ADMIN_PASSWORD: 'password from the env',
    });
    try {
      const result = await envContext.get(AdminSeedService).seedFromEnv();
      expect(result).toMatchObject({ created: true, generatedPassword: null });
      await accounts.logIn(adminEmail, 'password from the env', ip());
    } finally {
      await envContext.close();
    }
  });
});
