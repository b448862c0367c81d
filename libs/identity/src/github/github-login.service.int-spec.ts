import type { INestApplicationContext } from '@nestjs/common';
import { AccountsService } from '../accounts/accounts.service';
import { ApplicationsService } from '../applications/applications.service';
import { createIdentityTestContext } from '../testing/identity-test-context';
import { type GithubEmail, type GithubIdentity, GithubLoginService } from './github-login.service';

let counter = 0;
function email(tag: string): string {
  counter += 1;
  return `${tag}-${process.pid}-${Date.now().toString(36)}-${counter}@example.com`;
}
let nextId = 9_000_000 + Math.floor(Math.random() * 1_000_000);
function identity(emails: GithubEmail[], name: string | null = null): GithubIdentity {
  nextId += 1;
  return { githubId: String(nextId), login: `octo-${nextId}`, name, emails };
}
const verified = (address: string, primary = true): GithubEmail => ({
  email: address,
  verified: true,
  primary,
});
const unverified = (address: string, primary = true): GithubEmail => ({
  email: address,
  verified: false,
  primary,
});

describe('GithubLoginService linking rule (real PostgreSQL)', () => {
  let context: INestApplicationContext;
  let github: GithubLoginService;
  let accounts: AccountsService;

  beforeAll(async () => {
    context = await createIdentityTestContext();
    github = context.get(GithubLoginService);
    accounts = context.get(AccountsService);
  });

  afterAll(async () => {
    await context?.close();
  });

  async function passwordAccount(address: string): Promise<string> {
    const { account } = await accounts.signUp(
      { email: address, password: 'password 1234' },
      `10.2.0.${counter % 250}`,
    );
    return account.id;
  }

  it('opens a new password-less account for the primary verified email, with a default application', async () => {
    const primary = email('gh-primary');
    const result = await github.logIn(
      identity([verified(email('gh-secondary'), false), verified(primary.toUpperCase(), true)], 'Ada'),
    );
    expect(result.outcome).toBe('created');
    expect(result.account).toMatchObject({
      email: primary,
      passwordHash: null,
      displayName: 'Ada',
      roles: [],
    });
    expect(await context.get(ApplicationsService).list(result.account.id)).toEqual([
      expect.objectContaining({ name: 'Default application' }),
    ]);
  });

  it('finds the account by GitHub id first, whatever the emails say now', async () => {
    const person = identity([verified(email('gh-id'))]);
    const first = await github.logIn(person);
    const again = await github.logIn({
      ...person,
      login: 'renamed-octo',
      emails: [verified(email('gh-moved'))],
    });
    expect(again).toMatchObject({
      outcome: 'existing',
      account: { id: first.account.id, githubLogin: 'renamed-octo' },
    });
    expect((await accounts.get(first.account.id)).githubLogin).toBe('renamed-octo');
  });

  it('links the account of a verified email, preferring the primary email’s account', async () => {
    const primaryEmail = email('gh-link-primary');
    const otherEmail = email('gh-link-other');
    const primaryId = await passwordAccount(primaryEmail);
    const otherId = await passwordAccount(otherEmail);
    const person = identity([verified(otherEmail, false), verified(primaryEmail, true)]);

    const result = await github.logIn(person);
    expect(result).toMatchObject({
      outcome: 'linked',
      account: { id: primaryId, githubId: person.githubId, githubLogin: person.login },
    });
    expect((await accounts.get(primaryId)).githubId).toBe(person.githubId);
    expect((await accounts.get(otherId)).githubId).toBeNull();
  });

  it('ignores unverified emails: no link, and no account when nothing is verified', async () => {
    const victimEmail = email('gh-victim');
    const victimId = await passwordAccount(victimEmail);

    await expect(github.logIn(identity([unverified(victimEmail)]))).rejects.toMatchObject({
      code: 'github_email_unverified',
    });
    const result = await github.logIn(
      identity([unverified(victimEmail, true), verified(email('gh-mine'), false)]),
    );
    expect(result.outcome).toBe('created');
    expect(result.account.id).not.toBe(victimId);
    expect((await accounts.get(victimId)).githubId).toBeNull();
  });

  it('refuses with conflict when the verified email’s account is linked to another GitHub user', async () => {
    const shared = email('gh-shared');
    await github.logIn(identity([verified(shared)]));
    await expect(github.logIn(identity([verified(shared)]))).rejects.toMatchObject({ code: 'conflict' });
  });

  it('gives two simultaneous first sign-ins of the same GitHub user one account', async () => {
    const person = identity([verified(email('gh-race'))]);
    const results = await Promise.all([github.logIn(person), github.logIn(person), github.logIn(person)]);
    expect(new Set(results.map((r) => r.account.id)).size).toBe(1);
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
  });
});
