import { Type } from 'class-transformer';
import { CoreEnv, EncryptionEnv, UpstreamPolicyEnv } from '@app/common';
import { BillingEnv } from '@app/billing';
import { GatewayLimiterEnv, GatewayPipelineEnv } from '@app/gateway';
import { IdentityEnv } from '@app/identity';
import { IntersectionType } from '@nestjs/mapped-types';
import { IsInt, Max, Min } from 'class-validator';

export class GatewayHttpEnv {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  GATEWAY_PORT = 8080;

  /** How long a SIGTERM waits for in-flight requests before closing connections. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(120_000)
  GATEWAY_SHUTDOWN_GRACE_MS = 10_000;
}

/** GATEWAY_ALLOW_PRIVATE_UPSTREAMS lives in UpstreamPolicyEnv (libs/common), shared with the api's save-time check. */
export const GATEWAY_ENV_FRAGMENTS = [IdentityEnv, BillingEnv, GatewayHttpEnv, GatewayPipelineEnv, GatewayLimiterEnv, UpstreamPolicyEnv, EncryptionEnv];

export class GatewayEnv extends IntersectionType(
  CoreEnv,
  IntersectionType(IdentityEnv, BillingEnv, GatewayHttpEnv, GatewayPipelineEnv),
  IntersectionType(GatewayLimiterEnv, UpstreamPolicyEnv, EncryptionEnv),
) {}
