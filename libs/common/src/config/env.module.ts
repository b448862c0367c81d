import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { loadEnv } from './load-env';

/**
 * Validates the environment once, at boot, into the app's env class, and provides that one
 * object under the app's class and under each lib-owned fragment class it is made of
 * (CoreEnv, IdentityEnv, …), so a lib injects only the fragment it owns.
 */
@Module({})
export class EnvModule {
  static forRoot<T extends object>(envClass: Type<T>, fragments: Type<object>[], raw?: Record<string, unknown>): DynamicModule {
    let validated: T | undefined;
    const validate = (config: Record<string, unknown>): Record<string, unknown> => {
      validated = loadEnv(envClass, raw ?? config);
      return config;
    };
    const get = (): T => {
      validated ??= loadEnv(envClass, raw ?? process.env);
      return validated;
    };
    const tokens = [envClass, ...fragments.filter((f) => f !== envClass)];
    return {
      module: EnvModule,
      global: true,
      imports: [ConfigModule.forRoot({ validate, ignoreEnvFile: raw !== undefined, cache: true })],
      providers: tokens.map((token) => ({ provide: token, useFactory: get })),
      exports: tokens,
    };
  }
}
