import { AppError, isUniqueViolation } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import type { AccountEntity } from '../accounts/account.entity';
import { AccountOpeningService, defaultDisplayName } from '../accounts/account-opening.service';
import { AccountRepository } from '../accounts/account.repository';
import { IdentityEnv } from '../identity.env';
import { SessionsService } from '../sessions/sessions.service';

/** One address from GitHub's `GET /user/emails`. */
export interface GithubEmail {
  email: string;
  verified: boolean;
  primary: boolean;
}

/** What GitHub told us about the person signing in (from `GET /user` and `GET /user/emails`). */
export interface GithubIdentity {
  /** GitHub's numeric user id, as a string: stable across renames, the key we link by. */
  githubId: string;
  /** The GitHub username (it can change; refreshed on every sign-in). */
  login: string;
  /** The profile name, when the user set one. */
  name: string | null;
  emails: GithubEmail[];
}

/** How the GitHub identity was matched to a Portico account. */
export type GithubLoginOutcome = 'existing' | 'linked' | 'created';

export interface GithubLoginResult {
  account: AccountEntity;
  outcome: GithubLoginOutcome;
}

/** GitHub sign-in is offered when both OAuth app credentials are configured. */
export function githubLoginEnabled(env: IdentityEnv): boolean {
  return Boolean(env.GITHUB_CLIENT_ID && env.GITHUB_CLIENT_SECRET);
}

/**
 * Turns a GitHub identity into a Portico account (the linking rule, libs/identity/README.md):
 *
 * 1. an account already linked to this GitHub user id → that account;
 * 2. else an account whose email equals one of the user's **verified** GitHub emails (primary
 *    first) → link it (set githubId/githubLogin) and sign in as it; if that account is already
 *    linked to a different GitHub user → `conflict`. Portico does not verify emails at sign-up,
 *    so linking ends the account's password and sessions: whoever set that password may not own
 *    the address (account pre-hijacking); the owner can set a new password afterwards;
 * 3. else a new account (no password) for the primary verified email, opened like sign-up
 *    (default application + first test key).
 *
 * Unverified GitHub emails are ignored entirely: they never link to an account and never become
 * a new account's email. A GitHub user with no verified email is refused (`github_email_unverified`).
 */
@Injectable()
export class GithubLoginService {
  private readonly logger = new Logger(GithubLoginService.name);

  constructor(
    private readonly accounts: AccountRepository,
    private readonly opening: AccountOpeningService,
    private readonly sessions: SessionsService,
  ) {}

  async logIn(identity: GithubIdentity): Promise<GithubLoginResult> {
    try {
      return await this.resolve(identity);
    } catch (error) {
      // a concurrent callback for the same person created or linked the account first: resolve again
      if (
        isUniqueViolation(error, 'uq_accounts__github_id') ||
        isUniqueViolation(error, 'uq_accounts__email')
      ) {
        return this.resolve(identity);
      }
      throw error;
    }
  }

  private async resolve(identity: GithubIdentity): Promise<GithubLoginResult> {
    const githubId = identity.githubId;
    const login = identity.login.slice(0, 100);

    const linked = await this.accounts.findByGithubId(githubId);
    if (linked) {
      if (linked.githubLogin !== login) {
        await this.accounts.update(linked.id, { githubLogin: login });
        linked.githubLogin = login;
      }
      return { account: linked, outcome: 'existing' };
    }

    const verified = verifiedEmails(identity.emails);
    if (verified.length === 0) {
      throw new AppError(
        'github_email_unverified',
        'GitHub reports no verified email address for this account. Verify an email on GitHub (Settings → Emails) and sign in again, or sign up with an email and password.',
      );
    }

    for (const email of verified) {
      const account = await this.accounts.findByEmail(email);
      if (!account) continue;
      // a concurrent first sign-in of the same GitHub user created or linked it a moment ago
      if (account.githubId === githubId) return { account, outcome: 'existing' };
      if (account.githubId !== null || !(await this.accounts.linkGithub(account.id, githubId, login))) {
        throw new AppError(
          'conflict',
          `The Portico account for ${email} is already linked to a different GitHub account. Log in with that GitHub account or with the account's password.`,
        );
      }
      if (account.passwordHash !== null) {
        // Portico never verified this email, so whoever set the password may not own the address:
        // the person GitHub vouches for takes the account over, and the password and its sessions end.
        await this.accounts.update(account.id, { passwordHash: null });
        await this.sessions.revokeAll(account.id);
        account.passwordHash = null;
      }
      this.logger.log(
        { accountId: account.id, githubId },
        'linked a GitHub identity to an existing account by verified email',
      );
      account.githubId = githubId;
      account.githubLogin = login;
      return { account, outcome: 'linked' };
    }

    const email = verified[0];
    const { account } = await this.opening.open({
      email,
      passwordHash: null,
      displayName: identity.name?.trim().slice(0, 100) || login || defaultDisplayName(email),
      githubId,
      githubLogin: login,
    });
    return { account, outcome: 'created' };
  }
}

/** The verified addresses, lower-cased and de-duplicated, the primary one first. */
function verifiedEmails(emails: GithubEmail[]): string[] {
  const ordered = [...emails].filter(
    (e) => e.verified === true && typeof e.email === 'string' && e.email.includes('@'),
  );
  ordered.sort((a, b) => Number(b.primary === true) - Number(a.primary === true));
  return [...new Set(ordered.map((e) => e.email.trim().toLowerCase()).filter((e) => e.length <= 254))];
}
