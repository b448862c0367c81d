import { AppError, IS_PUBLIC, safeEqual } from '@app/common';
import { SessionsService } from '@app/identity';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { SessionRequest } from './current-session.decorator';
import { CSRF_HEADER, SESSION_COOKIE } from './session-cookie';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Global guard: every route needs a live session unless marked @Public(). Mutations authenticated
 * by the cookie must echo the session's CSRF token in X-CSRF-Token (synchronizer token), so a
 * cross-site form post cannot act for the user even where SameSite=Lax would let it through.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<SessionRequest>();
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    const token = (req.cookies as Record<string, string | undefined> | undefined)?.[SESSION_COOKIE];
    const session = token ? await this.sessions.authenticate(token) : null;
    if (session) req.session = session;
    if (isPublic) return true;
    if (!session)
      throw new AppError(
        'unauthenticated',
        'Log in first: this route needs a session (POST /v1/auth/login).',
      );
    if (!SAFE_METHODS.has(req.method)) {
      const sent = req.header(CSRF_HEADER);
      if (!sent || !safeEqual(sent, session.csrfToken)) {
        throw new AppError(
          'csrf_failed',
          'Send the X-CSRF-Token header with the csrfToken from the login response or GET /v1/me.',
        );
      }
    }
    return true;
  }
}
