import type { AuthenticatedSession } from '@app/identity';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { SessionRequest } from './current-session.decorator';

/** The session on a @Public() route when the caller sent a valid cookie (SessionGuard sets it), else null. */
export const OptionalSession = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): AuthenticatedSession | null =>
    ctx.switchToHttp().getRequest<SessionRequest>().session ?? null,
);
