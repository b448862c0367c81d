import type { AuthenticatedSession } from '@app/identity';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

export type SessionRequest = Request & { session?: AuthenticatedSession };

/** The authenticated session of the request (set by SessionGuard). */
export const CurrentSession = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): AuthenticatedSession => {
    const session = ctx.switchToHttp().getRequest<SessionRequest>().session;
    if (!session) throw new Error('CurrentSession used on a @Public() route');
    return session;
  },
);
