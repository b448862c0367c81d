import { CoreModule, EncryptionEnv, ReadinessModule, UpstreamPolicyEnv } from '@app/common';
import { IdentityEnv, IdentityModule } from '@app/identity';
import { type DynamicModule, Module } from '@nestjs/common';
import { MIGRATIONS } from '@migrations';
import { GatewayEnv, GatewayHttpEnv } from './gateway.env';
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
        CoreModule.forRoot({ app: 'gateway', env: GatewayEnv, envFragments: [IdentityEnv, GatewayHttpEnv, UpstreamPolicyEnv, EncryptionEnv], migrations: MIGRATIONS, poolSize: 5, rawEnv }),
        ReadinessModule,
        IdentityModule,
      ],
      providers: [GatewayServer],
    };
  }
}
