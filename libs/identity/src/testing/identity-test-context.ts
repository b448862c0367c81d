import { CoreEnv, CoreModule } from '@app/common';
import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { IntersectionType } from '@nestjs/mapped-types';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AccountEntity } from '../accounts/account.entity';
import { ApplicationsService } from '../applications/applications.service';
import { IdentityEnv } from '../identity.env';
import { IdentityModule } from '../identity.module';
import type { ApplicationEntity } from '../applications/application.entity';

export class IdentityTestEnv extends IntersectionType(CoreEnv, IdentityEnv) {}

@Module({})
class IdentityTestingModule {
  static forRoot(rawEnv?: Record<string, unknown>): DynamicModule {
    return {
      module: IdentityTestingModule,
      imports: [
        // the test run's database is already migrated by the global setup
        CoreModule.forRoot({
          app: 'identity-test',
          env: IdentityTestEnv,
          envFragments: [IdentityEnv],
          migrations: [],
          rawEnv,
        }),
        IdentityModule,
      ],
    };
  }
}

/**
 * A Nest application context holding libs/identity on the test run's real PostgreSQL and Redis,
 * with its own connections (pool, Redis command and subscriber connections): two of them behave
 * like two processes, e.g. two gateway instances. `env` overrides variables (e.g. REDIS_PREFIX).
 */
export function createIdentityTestContext(
  env: Record<string, unknown> = {},
): Promise<INestApplicationContext> {
  const rawEnv = Object.keys(env).length > 0 ? { ...process.env, ...env } : undefined;
  return NestFactory.createApplicationContext(IdentityTestingModule.forRoot(rawEnv), {
    logger: false,
    abortOnError: false,
  });
}

let counter = 0;

/** Inserts an account (no password) with one application, bypassing sign-up and its throttle. */
export async function createTestConsumer(
  context: INestApplicationContext,
  tag = 'consumer',
): Promise<{ account: AccountEntity; application: ApplicationEntity }> {
  counter += 1;
  const accounts = context.get(DataSource).getRepository(AccountEntity);
  const account = await accounts.save(
    accounts.create({
      email: `${tag}-${process.pid}-${Date.now().toString(36)}-${counter}@example.com`,
      passwordHash: null,
      displayName: tag,
      roles: [],
    }),
  );
  const application = await context.get(ApplicationsService).create(account.id, { name: `${tag} app` });
  return { account, application };
}
