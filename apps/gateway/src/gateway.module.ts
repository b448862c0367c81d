import { CoreModule, ReadinessModule } from '@app/common';
import { GatewayPipelineModule } from '@app/gateway';
import { type DynamicModule, Module } from '@nestjs/common';
import { MIGRATIONS } from '@migrations';
import { GATEWAY_ENV_FRAGMENTS, GatewayEnv } from './gateway.env';
import { GatewayServer } from './gateway.server';

/**
 * The gateway process: a Nest application context (DI, config, stores) around a plain node:http
 * server. No Nest router, guards or interceptors sit on the hot path (STACK: they cost ~3.5× CPU).
 */
@Module({})
export class GatewayModule {
  static forRoot(rawEnv?: Record<string, unknown>): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        CoreModule.forRoot({ app: 'gateway', env: GatewayEnv, envFragments: GATEWAY_ENV_FRAGMENTS, migrations: MIGRATIONS, poolSize: 5, idleTimeoutMs: 600_000, rawEnv }),
        ReadinessModule,
        GatewayPipelineModule,
      ],
      providers: [GatewayServer],
    };
  }
}
