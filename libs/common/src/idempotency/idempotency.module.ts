import { type DynamicModule, type InjectionToken, Module } from '@nestjs/common';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IDEMPOTENCY_OPTIONS, type IdempotencyOptions } from './idempotency.options';
import { IdempotencyService } from './idempotency.service';

export interface IdempotencyModuleAsyncOptions {
  inject?: InjectionToken[];
  useFactory: (...deps: never[]) => IdempotencyOptions;
}

/** Provides IdempotencyService and the interceptor behind `@Idempotent()` to an HTTP app. */
@Module({})
export class IdempotencyModule {
  static forRootAsync(options: IdempotencyModuleAsyncOptions): DynamicModule {
    return {
      module: IdempotencyModule,
      providers: [
        { provide: IDEMPOTENCY_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        IdempotencyService,
        IdempotencyInterceptor,
      ],
      exports: [IDEMPOTENCY_OPTIONS, IdempotencyService, IdempotencyInterceptor],
    };
  }
}
