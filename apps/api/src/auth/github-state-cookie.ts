import { randomToken, safeEqual } from '@app/common';
import type { IdentityEnv } from '@app/identity';
import type { CookieOptions, Request } from 'express';

export const GITHUB_STATE_COOKIE = 'portico_github_state';
/** Scoped to the GitHub routes: the cookie is sent to the callback and nowhere else. */
export const GITHUB_STATE_COOKIE_PATH = '/v1/auth/github';
/** Time a person has to approve on GitHub before the state expires. */
export const GITHUB_STATE_TTL_SECONDS = 10 * 60;

/** Marker a failed state check hands to passport, so the callback can tell it from a denial. */
export const STATE_INVALID = 'state_invalid';

export function githubStateCookieOptions(env: IdentityEnv): CookieOptions {
  // Lax: the cookie must come back on GitHub's top-level redirect to the callback
  return {
    httpOnly: true,
    sameSite: 'lax',
    secure: env.PUBLIC_URL.startsWith('https:'),
    path: GITHUB_STATE_COOKIE_PATH,
  };
}

type StoreCallback = (err: Error | null, state?: string) => void;
type VerifyCallback = (err: Error | null, ok: boolean, info?: { reason: string }) => void;

/**
 * passport-oauth2 state store that defeats login CSRF without server-side sessions: `store` puts
 * a random state in the authorize URL and in a short-lived httpOnly cookie; `verify` accepts the
 * callback only when the `state` query parameter equals that cookie, before any code is exchanged.
 * The callback clears the cookie, so a state is good for one attempt.
 *
 * The methods keep passport's 3-argument arities (`store(req, meta, cb)`, `verify(req, state, cb)`):
 * passport-oauth2 picks the calling convention from `Function.length`.
 */
export class GithubStateCookieStore {
  constructor(private readonly env: IdentityEnv) {}

  store(req: Request, _meta: unknown, callback: StoreCallback): void {
    if (!req.res) {
      callback(new Error('GitHub state store needs the Express response to set its cookie'));
      return;
    }
    const state = randomToken(24);
    req.res.cookie(GITHUB_STATE_COOKIE, state, {
      ...githubStateCookieOptions(this.env),
      maxAge: GITHUB_STATE_TTL_SECONDS * 1000,
    });
    callback(null, state);
  }

  verify(req: Request, provided: unknown, callback: VerifyCallback): void {
    const expected = (req.cookies as Record<string, unknown> | undefined)?.[GITHUB_STATE_COOKIE];
    const ok =
      typeof expected === 'string' &&
      expected.length > 0 &&
      typeof provided === 'string' &&
      safeEqual(expected, provided);
    callback(null, ok, ok ? undefined : { reason: STATE_INVALID });
  }
}
