import { Type } from 'class-transformer';
import { BillingEnv } from '@app/billing';
import { CatalogEnv } from '@app/catalog';
import { CoreEnv, EncryptionEnv, IsTrustedProxyList, UpstreamPolicyEnv } from '@app/common';
import { IdentityEnv } from '@app/identity';
import { SearchEnv } from '@app/search';
import { IntersectionType } from '@nestjs/mapped-types';
import { IsInt, IsString, IsUrl, Max, Min } from 'class-validator';

export class ApiHttpEnv {
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  API_PORT = 3000;

  /** Where consumers send their calls; shown in the UI and in snippets. */
  @IsUrl({ require_tld: false, require_protocol: true })
  GATEWAY_URL = 'http://localhost:8080';

  /**
   * The load balancers in front of the api, as IPs or CIDRs (comma separated). A connection from one
   * of them may say who the client is in X-Forwarded-For (the per-address sign-up and login limits,
   * the address recorded with a session); from anyone else the header is ignored. Empty: the TCP
   * peer is the client.
   */
  @IsTrustedProxyList()
  API_TRUSTED_PROXIES = '';

  /**
   * The built web UI (`npm run build:web` writes dist/web), served at `/`; relative to the working
   * directory. When it holds no index.html the api serves only its REST API and says so at boot.
   */
  @IsString()
  WEB_DIST_DIR = 'dist/web';
}

export class ApiEnv extends IntersectionType(CoreEnv, IdentityEnv, ApiHttpEnv, BillingEnv, CatalogEnv, UpstreamPolicyEnv, EncryptionEnv, SearchEnv) {}
