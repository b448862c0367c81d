import { AppError } from '@app/common';
import {
  type AccountEntity,
  type GithubEmail,
  type GithubIdentity,
  GithubLoginService,
  type IdentityEnv,
} from '@app/identity';
import type { OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { randomUUID } from 'node:crypto';
import passport from 'passport';
import { type Profile, Strategy, type StrategyOptions } from 'passport-github2';
import type { StateStore } from 'passport-oauth2';
import type { GithubStateCookieStore } from './github-state-cookie';

export const GITHUB_SCOPES = ['read:user', 'user:email'];

/** The GitHub callback route, relative to PUBLIC_URL: register `${PUBLIC_URL}/v1/auth/github/callback` on the OAuth app. */
export const GITHUB_CALLBACK_PATH = '/v1/auth/github/callback';

export function publicUrl(env: IdentityEnv, path: string): string {
  return `${env.PUBLIC_URL.replace(/\/+$/, '')}${path}`;
}

/**
 * passport-github2, pointed at IdentityEnv's GitHub URLs. Thin on purpose: it maps GitHub's
 * profile onto a GithubIdentity and hands it to libs/identity, which owns the linking rule.
 *
 * `allRawEmails` makes passport-github2 keep every entry of `GET /user/emails` with its
 * `verified` and `primary` flags (by default it keeps the primary address only, without them).
 *
 * Each instance registers under its own name (`github-<uuid>`) in passport's process-wide
 * registry and unregisters on shutdown, so two api instances in one process (tests, a standalone
 * install) never answer each other's callbacks.
 */
export class GithubStrategy extends PassportStrategy(Strategy) implements OnModuleDestroy {
  constructor(
    env: IdentityEnv,
    private readonly githubLogin: GithubLoginService,
    stateStore: GithubStateCookieStore,
  ) {
    const options: StrategyOptions & { name: string; store: StateStore } = {
      name: `github-${randomUUID()}`,
      clientID: env.GITHUB_CLIENT_ID ?? '',
      clientSecret: env.GITHUB_CLIENT_SECRET ?? '',
      callbackURL: publicUrl(env, GITHUB_CALLBACK_PATH),
      authorizationURL: env.GITHUB_AUTHORIZE_URL,
      tokenURL: env.GITHUB_TOKEN_URL,
      userProfileURL: `${env.GITHUB_API_URL.replace(/\/+$/, '')}/user`,
      userEmailURL: `${env.GITHUB_API_URL.replace(/\/+$/, '')}/user/emails`,
      scope: GITHUB_SCOPES,
      scopeSeparator: ' ',
      allRawEmails: true,
      userAgent: 'Portico',
      store: stateStore as unknown as StateStore,
    };
    super(options);
  }

  async validate(
    _accessToken: string,
    _refreshToken: string | undefined,
    profile: Profile,
  ): Promise<AccountEntity> {
    const { account } = await this.githubLogin.logIn(toGithubIdentity(profile));
    return account;
  }

  onModuleDestroy(): void {
    passport.unuse(this.name);
  }
}

interface RawGithubEmail {
  value: string;
  verified?: unknown;
  primary?: unknown;
}

function isRawEmail(entry: unknown): entry is RawGithubEmail {
  return (
    typeof entry === 'object' && entry !== null && typeof (entry as { value?: unknown }).value === 'string'
  );
}

function toGithubIdentity(profile: Profile): GithubIdentity {
  if (!profile.id || !profile.username) {
    throw new AppError(
      'github_login_failed',
      'GitHub answered without a user id or login. Try again in a minute.',
    );
  }
  const emails: GithubEmail[] = ((profile.emails ?? []) as unknown[]).filter(isRawEmail).map((entry) => ({
    email: entry.value,
    // only GitHub's own `verified: true` counts; a missing flag (e.g. the public profile email) does not
    verified: entry.verified === true,
    primary: entry.primary === true,
  }));
  return { githubId: String(profile.id), login: profile.username, name: profile.displayName || null, emails };
}
