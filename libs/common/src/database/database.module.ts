import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { MigrationInterface } from 'typeorm';
import { CoreEnv } from '../config/core.env';
import { SnakeNamingStrategy } from './snake-naming.strategy';

export interface DatabaseModuleOptions {
  /** Migration classes, in order (the top-level `migrations/index.ts`). */
  migrations: (new () => MigrationInterface)[];
  /** Pool size; the gateway keeps it small, the worker larger. */
  poolSize?: number;
  /**
   * An idle connection closes after this (node-postgres's `idleTimeoutMillis`; default 10 s). The
   * gateway keeps its few connections: its loads come in bursts after quiet periods, and opening
   * connections then (a PostgreSQL backend each) costs the calls of that moment.
   */
  idleTimeoutMs?: number;
  applicationName: string;
}

/**
 * The one TypeORM DataSource of a process. Entities are registered by each lib through
 * `TypeOrmModule.forFeature` (autoLoadEntities), so an app only lists the libs it uses.
 * `synchronize` is never on: the schema comes from migrations only.
 */
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [CoreEnv],
          useFactory: (env: CoreEnv) => ({
            type: 'postgres' as const,
            url: env.DATABASE_URL,
            namingStrategy: new SnakeNamingStrategy(),
            // gen_random_uuid() is built into PostgreSQL 13+: no extension needed
            uuidExtension: 'pgcrypto' as const,
            autoLoadEntities: true,
            synchronize: false,
            migrationsRun: false,
            migrations: options.migrations,
            migrationsTableName: 'typeorm_migrations',
            extra: {
              max: options.poolSize ?? 10,
              idleTimeoutMillis: options.idleTimeoutMs ?? 10_000,
              application_name: options.applicationName,
            },
          }),
        }),
      ],
    };
  }
}
