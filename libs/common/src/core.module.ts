import { type DynamicModule, Global, Module, type Type } from '@nestjs/common';
import type { MigrationInterface } from 'typeorm';
import { Clock, SystemClock } from './clock/clock';
import { CoreEnv } from './config/core.env';
import { EnvModule } from './config/env.module';
import { DatabaseModule } from './database/database.module';
import { LoggingModule } from './logging/logging.module';
import { QueueModule } from './queues/queue.module';
import { RedisModule } from './redis/redis.module';

export interface CoreModuleOptions<T extends CoreEnv> {
  /** Name on every log line and database connection: api, gateway, worker, cli. */
  app: string;
  /** The app's validated env class and the lib-owned fragments it is made of. */
  env: Type<T>;
  envFragments: Type<object>[];
  migrations: (new () => MigrationInterface)[];
  poolSize?: number;
  /** DatabaseModuleOptions.idleTimeoutMs. */
  idleTimeoutMs?: number;
  /** Explicit variables instead of process.env + .env (tests). */
  rawEnv?: Record<string, unknown>;
}

@Global()
@Module({ providers: [{ provide: Clock, useClass: SystemClock }], exports: [Clock] })
class ClockModule {}

/** What every Portico process stands on: config, logging, PostgreSQL, Redis, queues, the clock. */
@Module({})
export class CoreModule {
  static forRoot<T extends CoreEnv>(options: CoreModuleOptions<T>): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        EnvModule.forRoot(options.env, [CoreEnv, ...options.envFragments], options.rawEnv),
        LoggingModule.forRoot(options.app),
        DatabaseModule.forRoot({
          migrations: options.migrations,
          poolSize: options.poolSize,
          idleTimeoutMs: options.idleTimeoutMs,
          applicationName: `portico-${options.app}`,
        }),
        RedisModule,
        QueueModule,
        ClockModule,
      ],
    };
  }
}
