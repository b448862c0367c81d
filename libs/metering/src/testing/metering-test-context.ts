import { CoreEnv, CoreModule, type UsageEvent } from '@app/common';
import { type DynamicModule, type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
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

let counter = 0;

/** A live, billable, successful call by default; every call gets a fresh request id. */
export function usageEventFactory(overrides: Partial<UsageEvent> = {}): UsageEvent {
  counter += 1;
  return {
    requestId: `req-${process.pid}-${Date.now().toString(36)}-${counter}`,
    at: new Date().toISOString(),
    keyId: randomUUID(),
    keyPrefix: 'mp_live_ab12',
    applicationId: randomUUID(),
    consumerAccountId: randomUUID(),
    apiId: randomUUID(),
    subscriptionId: randomUUID(),
    planId: randomUUID(),
    endpointId: randomUUID(),
    method: 'GET',
    status: 200,
    latencyMs: 20,
    bytesIn: 0,
    bytesOut: 100,
    mode: 'live',
    billableUnits: 1,
    overageUnits: 0,
    generated: false,
    errorCode: null,
    ...overrides,
  };
}
