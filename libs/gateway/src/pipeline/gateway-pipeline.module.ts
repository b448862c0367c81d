import { HostResolver, SystemHostResolver, UpstreamPolicyEnv } from '@app/common';
import { IdentityModule } from '@app/identity';
import { SubscriptionsModule } from '@app/subscriptions';
import { CatalogModule } from '@app/catalog';
import { Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { UpstreamClient } from '../forwarding/upstream-client';
import { GatewayLimiterModule } from '../limiter/limiter.module';
import { LimiterService } from '../limiter/limiter.service';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { GatewayDirectory } from '../resolution/gateway-directory';
import { UsageBuffer } from '../usage/usage-buffer';
import { GatewayPipeline } from './gateway-pipeline';

/** Closes the upstream pools after the server stopped (in-flight calls finish first). */
@Injectable()
class UpstreamClientCloser implements OnApplicationShutdown {
  constructor(private readonly client: UpstreamClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

/**
 * The gateway's call pipeline and everything it needs. The app provides CoreModule with
 * GatewayPipelineEnv, GatewayLimiterEnv, IdentityEnv, BillingEnv, UpstreamPolicyEnv and
 * EncryptionEnv among its env fragments. Tests replace HostResolver so no name leaves loopback.
 */
@Module({
  imports: [IdentityModule, CatalogModule, SubscriptionsModule, GatewayLimiterModule],
  providers: [
    { provide: HostResolver, useClass: SystemHostResolver },
    {
      provide: UpstreamClient,
      inject: [UpstreamPolicyEnv, HostResolver],
      useFactory: (policy: UpstreamPolicyEnv, resolver: HostResolver) =>
        new UpstreamClient({
          allowPrivate: policy.GATEWAY_ALLOW_PRIVATE_UPSTREAMS,
          resolve: (hostname) => resolver.lookup(hostname),
        }),
    },
    UpstreamClientCloser,
    GatewayDirectory,
    UsageBuffer,
    {
      provide: GatewayMetrics,
      inject: [LimiterService, UsageBuffer],
      useFactory: (limiter: LimiterService, usage: UsageBuffer) => {
        const metrics = new GatewayMetrics();
        metrics.setSuppliers({ limiter: () => limiter.counters, bufferDepth: () => usage.depth });
        return metrics;
      },
    },
    GatewayPipeline,
  ],
  exports: [GatewayPipeline, GatewayMetrics, GatewayDirectory, UsageBuffer],
})
export class GatewayPipelineModule {}
