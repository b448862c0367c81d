import { IsBoolean } from 'class-validator';
import { BooleanEnv } from '../config/boolean-env';

/**
 * The SSRF switch shared by the api (checks upstream URLs when a provider saves them) and the
 * gateway (checks the resolved address of every upstream connection).
 */
export class UpstreamPolicyEnv {
  /** Allow upstreams on private, loopback, link-local and CGNAT addresses (development, tests, on-prem only). */
  @BooleanEnv()
  @IsBoolean()
  GATEWAY_ALLOW_PRIVATE_UPSTREAMS = false;
}
