import { BooleanEnv } from '@app/common';
import { IsBoolean } from 'class-validator';

/** What the gateway limiter does when Redis is unreachable (libs/gateway README, "Redis down"). */
export class GatewayLimiterEnv {
  /** true: rate limits fall back to a per-process limiter and the call goes on; false: 503 service_unavailable. */
  @BooleanEnv()
  @IsBoolean()
  GATEWAY_RATE_LIMIT_FAIL_OPEN = true;

  /** true: a paid plan's hard quota cannot be checked, so the call is refused with 503; false: it goes on uncounted. */
  @BooleanEnv()
  @IsBoolean()
  GATEWAY_PAID_QUOTA_FAIL_CLOSED = true;
}
