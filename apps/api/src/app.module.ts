import { CoreModule, HealthModule } from '@app/common';
import { IdentityEnv, IdentityModule } from '@app/identity';
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { MIGRATIONS } from '@migrations';
import { ApiEnv, ApiHttpEnv } from './api.env';
import { AppsController } from './apps/apps.controller';
import { AuthController } from './auth/auth.controller';
import { MeController } from './auth/me.controller';
import { ProblemFilter } from './http/problem.filter';
import { SessionGuard } from './http/session.guard';
import { createValidationPipe } from './http/validation.pipe';

@Module({})
export class ApiModule {
  static forRoot(rawEnv?: Record<string, unknown>): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        CoreModule.forRoot({ app: 'api', env: ApiEnv, envFragments: [IdentityEnv, ApiHttpEnv], migrations: MIGRATIONS, rawEnv }),
        HealthModule,
        IdentityModule,
      ],
      controllers: [AuthController, MeController, AppsController],
      providers: [
        { provide: APP_GUARD, useClass: SessionGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
