import { AppError } from '@app/common';
import type { Role } from '@app/identity';
import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiForbiddenResponse } from '@nestjs/swagger';
import type { SessionRequest } from './current-session.decorator';

export const ROLES_KEY = 'portico:roles';

/**
 * Runs after the global SessionGuard: the signed-in account must hold every role named by
 * `@Roles(…)` (from `accounts.roles`), else 403 `forbidden`.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles =
      this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [
        context.getHandler(),
        context.getClass(),
      ]) ?? [];
    const session = context.switchToHttp().getRequest<SessionRequest>().session;
    if (!session)
      throw new AppError(
        'unauthenticated',
        'Log in first: this route needs a session (POST /v1/auth/login).',
      );
    const missing = roles.filter((role) => !session.account.roles.includes(role));
    if (missing.length > 0) {
      throw new AppError(
        'forbidden',
        `This route is for accounts with the ${missing.join(', ')} role; yours does not have it.`,
      );
    }
    return true;
  }
}

/** Restricts a controller or route to accounts holding all of `roles` (e.g. `@Roles('admin')`). */
export function Roles(...roles: Role[]): ClassDecorator & MethodDecorator {
  return applyDecorators(
    SetMetadata(ROLES_KEY, roles),
    UseGuards(RolesGuard),
    ApiForbiddenResponse({ description: `forbidden: the account lacks the ${roles.join(', ')} role.` }),
  );
}
