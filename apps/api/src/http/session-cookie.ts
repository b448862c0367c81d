import type { IdentityEnv, IssuedSession } from '@app/identity';
import type { CookieOptions, Response } from 'express';

export const SESSION_COOKIE = 'portico_session';
export const CSRF_HEADER = 'x-csrf-token';

export function sessionCookieOptions(env: IdentityEnv): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: env.PUBLIC_URL.startsWith('https:'), path: '/' };
}

export function setSessionCookie(res: Response, env: IdentityEnv, session: IssuedSession): void {
  res.cookie(SESSION_COOKIE, session.token, { ...sessionCookieOptions(env), expires: session.expiresAt });
}

export function clearSessionCookie(res: Response, env: IdentityEnv): void {
  res.clearCookie(SESSION_COOKIE, sessionCookieOptions(env));
}
