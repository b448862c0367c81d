import { Type } from 'class-transformer';
import { IsTrustedProxyList } from '@app/common';
import { IsInt, Max, Min } from 'class-validator';

/** Operator settings of the gateway's call pipeline (libs/gateway README, "Pipeline"). */
export class GatewayPipelineEnv {
  /** Largest request body forwarded, in bytes (413 payload_too_large above it, before the upstream is contacted when Content-Length says so). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  GATEWAY_MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;

  /** Largest upstream response passed on, in bytes (502 upstream_error, or the connection cut once streaming). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  GATEWAY_MAX_RESPONSE_BODY_BYTES = 100 * 1024 * 1024;

  /** Longest wait for an upstream TCP/TLS connection, in ms (capped by the API's own timeout). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  GATEWAY_CONNECT_TIMEOUT_MS = 5_000;

  /** Test keys (mp_test_): calls per second per subscription (their own modest limit; never billed). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  GATEWAY_TEST_CALLS_PER_SECOND = 5;

  /** Test keys (mp_test_): calls per minute per subscription. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  GATEWAY_TEST_CALLS_PER_MINUTE = 100;

  /**
   * The load balancers in front of the gateway, as IPs or CIDRs (comma separated). A connection
   * from one of them may say who the consumer is in X-Forwarded-For / X-Forwarded-Proto (IP
   * allowlists, the upstream's X-Forwarded-For); from anyone else those headers are dropped.
   * Empty: the TCP peer is the consumer.
   */
  @IsTrustedProxyList()
  GATEWAY_TRUSTED_PROXIES = '';
}
