import { CoreEnv, CoreModule } from '@app/common';
import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MeteringModule } from '../metering.module';

@Module({})
class MeteringTestingModule {
  static forRoot(): DynamicModule {
    return {
      module: MeteringTestingModule,
      imports: [
        // the test run's database is already migrated by the global setup
        CoreModule.forRoot({
          app: 'metering-test',
          env: CoreEnv,
          envFragments: [],
          migrations: [],
          poolSize: 6,
        }),
        MeteringModule,
      ],
    };
  }
}

/** libs/metering on the test run's real PostgreSQL (its own pool: two contexts behave like two workers). */
export function createMeteringTestContext(): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(MeteringTestingModule.forRoot(), {
    logger: false,
    abortOnError: false,
  });
}
