import { AppError, type ErrorCode } from '@app/common';
import { type AccountEntity, IdentityEnv } from '@app/identity';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { finished } from 'node:stream/promises';
import passport from 'passport';
import { GITHUB_STATE_COOKIE, githubStateCookieOptions, STATE_INVALID } from './github-state-cookie';
import type { GithubStrategy } from './github.strategy';

/** Injection token of the GitHub strategy; null when GITHUB_CLIENT_ID/SECRET are not set. */
export const GITHUB_STRATEGY = Symbol('GITHUB_STRATEGY');

export type GithubCallbackOutcome = { ok: true; account: AccountEntity } | { ok: false; code: ErrorCode };

type Middleware = (req: Request, res: Response, next: NextFunction) => void;
type AuthenticateCallback = (err: unknown, user?: AccountEntity | false, info?: unknown) => void;

export function githubLoginDisabled(): AppError {
  return new AppError(
    'github_login_disabled',
    'GitHub sign-in is not configured on this Portico: the operator has to set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET. Log in with your email and password instead.',
  );
}

/**
 * Runs the passport GitHub strategy for the two GitHub routes and turns what passport reports
 * (success, failure, error) into one outcome the controller can redirect on. HTTP glue only:
 * who the person is and which account they get is decided in libs/identity (GithubLoginService).
 */
@Injectable()
export class GithubOAuthService {
  private readonly logger = new Logger('GithubOAuth');

  constructor(
    @Inject(GITHUB_STRATEGY) private readonly strategy: GithubStrategy | null,
    private readonly env: IdentityEnv,
  ) {}

  /** Answers with a 302 to GitHub's authorize URL and sets the state cookie. */
  async redirectToGithub(req: Request, res: Response): Promise<void> {
    const strategy = this.strategy;
    if (!strategy) throw githubLoginDisabled();
    const sent = finished(res).then(
      () => undefined,
      () => undefined,
    );
    const failed = new Promise<never>((_resolve, reject) => {
      const unexpected = (err: unknown) =>
        reject(err instanceof Error ? err : new Error('GitHub strategy ended without redirecting'));
      this.authenticate(strategy, unexpected)(req, res, unexpected);
    });
    await Promise.race([sent, failed]);
  }

  /** Verifies the state, exchanges the code, reads the profile and resolves the account. */
  async handleCallback(req: Request, res: Response): Promise<GithubCallbackOutcome> {
    const strategy = this.strategy;
    if (!strategy) return { ok: false, code: 'github_login_disabled' };
    // a state is good for one attempt, whatever happens next (the store has already read it)
    res.clearCookie(GITHUB_STATE_COOKIE, githubStateCookieOptions(this.env));
    if (typeof req.query.code !== 'string' && req.query.error === undefined) {
      // without a code passport would start a new authorization instead of finishing this one
      return { ok: false, code: 'github_login_failed' };
    }
    return new Promise<GithubCallbackOutcome>((resolve) => {
      const done: AuthenticateCallback = (err, user, info) => resolve(this.outcome(err, user, info));
      this.authenticate(strategy, done)(req, res, (err?: unknown) =>
        done(err ?? new Error('GitHub strategy passed without deciding')),
      );
    });
  }

  private authenticate(strategy: GithubStrategy, callback: AuthenticateCallback): Middleware {
    return passport.authenticate(strategy.name, { session: false }, callback) as Middleware;
  }

  private outcome(
    err: unknown,
    user: AccountEntity | false | undefined,
    info: unknown,
  ): GithubCallbackOutcome {
    if (err instanceof AppError) return { ok: false, code: err.code };
    if (err) {
      this.logger.warn({ err }, 'GitHub sign-in failed talking to GitHub');
      return { ok: false, code: 'github_login_failed' };
    }
    if (user) return { ok: true, account: user };
    const reason =
      typeof info === 'object' && info !== null ? (info as { reason?: unknown }).reason : undefined;
    return { ok: false, code: reason === STATE_INVALID ? 'github_state_invalid' : 'github_access_denied' };
  }
}
