import { Type } from 'class-transformer';
import { BillingEnv } from '@app/billing';
import { CatalogEnv } from '@app/catalog';
import { CoreEnv, EncryptionEnv, UpstreamPolicyEnv } from '@app/common';
import { IdentityEnv } from '@app/identity';
import { SearchEnv } from '@app/search';
import { IntersectionType } from '@nestjs/mapped-types';
import { IsInt, IsUrl, Max, Min } from 'class-validator';

export class ApiHttpEnv {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  API_PORT = 3000;

  /** Where consumers send their calls; shown in the UI and in snippets. */
  @IsUrl({ require_tld: false, require_protocol: true })
  GATEWAY_URL = 'http://localhost:8080';
}

export class ApiEnv extends IntersectionType(CoreEnv, IdentityEnv, ApiHttpEnv, BillingEnv, CatalogEnv, UpstreamPolicyEnv, EncryptionEnv, SearchEnv) {}
