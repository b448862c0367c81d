import { Module } from '@nestjs/common';
import { HostResolver, SystemHostResolver } from './host-resolver';
import { UpstreamUrlPolicy } from './upstream-url-policy.service';

/** The upstream SSRF policy and the host resolver it uses (one instance per app). */
@Module({
  providers: [{ provide: HostResolver, useClass: SystemHostResolver }, UpstreamUrlPolicy],
  exports: [HostResolver, UpstreamUrlPolicy],
})
export class UpstreamPolicyModule {}
