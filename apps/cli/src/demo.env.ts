import { BillingEnv } from '@app/billing';
import { CatalogEnv } from '@app/catalog';
import { CoreEnv, EncryptionEnv, UpstreamPolicyEnv } from '@app/common';
import { IdentityEnv } from '@app/identity';
import { IntersectionType } from '@nestjs/mapped-types';
import { IsOptional, IsString, MinLength } from 'class-validator';
import { ApiHttpEnv } from '../../api/src/api.env';
import { DemoUpstreamEnv } from '../../demo-upstream/src/demo-upstream.env';

/** Passwords of the demo accounts `portico seed-demo` opens (absent: generated and printed once). */
export class DemoAccountsEnv {
  /** Password of demo-provider@portico.local when the seed creates it; absent: generated, printed once. */
  @IsOptional()
  @IsString()
  @MinLength(10)
  DEMO_PROVIDER_PASSWORD?: string;

  /** Password of demo@portico.local when the seed creates it; absent: generated, printed once. */
  @IsOptional()
  @IsString()
  @MinLength(10)
  DEMO_CONSUMER_PASSWORD?: string;
}

/** `portico seed-demo` creates listings (SSRF policy, encrypted proxy secrets) as well as accounts. */
export class DemoSeedEnv extends IntersectionType(
  IntersectionType(CoreEnv, IdentityEnv, BillingEnv, CatalogEnv),
  IntersectionType(UpstreamPolicyEnv, EncryptionEnv, ApiHttpEnv, DemoUpstreamEnv),
  DemoAccountsEnv,
) {}
