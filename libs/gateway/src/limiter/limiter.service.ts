import { AppError } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import { GatewayLimiterEnv } from '../gateway-limiter.env';
import { FallbackLimiter } from './fallback-limiter';
import { LimiterUnavailableError } from './limiter.errors';
import type { LimitDecision, LimitRequest } from './limiter.types';
import { RedisLimiter } from './redis-limiter';

/** Counters the metrics endpoint reads (monotonic since process start). */
export interface LimiterCounters {
  /** Calls the limiter could not decide in Redis. */
  redisFailures: number;
  /** Of those, decided by the per-process fallback (fail-open). */
  fallbackDecisions: number;
  /** Of those, refused with 503 (a paid hard quota, or fail-open switched off). */
  failClosedRejections: number;
}

const WARN_EVERY_MS = 10_000;

/**
 * The limiter step of the call path: Redis first; when Redis cannot answer, rate limits go to the
 * per-process FallbackLimiter (GATEWAY_RATE_LIMIT_FAIL_OPEN) while a paid plan's hard quota
 * fails closed with 503 service_unavailable (GATEWAY_PAID_QUOTA_FAIL_CLOSED). A plain class on the
 * hot path; @Injectable only so the gateway app can build it through DI.
 */
@Injectable()
export class LimiterService {
  readonly counters: LimiterCounters = { redisFailures: 0, fallbackDecisions: 0, failClosedRejections: 0 };
  private readonly logger = new Logger('GatewayLimiter');
  private lastWarnAt = 0;

  constructor(
    private readonly primary: RedisLimiter,
    private readonly fallback: FallbackLimiter,
    private readonly env: GatewayLimiterEnv,
  ) {}

  async decide(request: LimitRequest): Promise<LimitDecision> {
    try {
      return await this.primary.decide(request);
    } catch (error) {
      if (!(error instanceof LimiterUnavailableError)) throw error;
      return this.degraded(request, error);
    }
  }

  private degraded(request: LimitRequest, error: LimiterUnavailableError): LimitDecision {
    this.counters.redisFailures++;
    this.warn(error);
    const paidHardQuota =
      request.paidPlan === true && request.quota.mode === 'hard' && request.quota.limit !== null;
    if (paidHardQuota && this.env.GATEWAY_PAID_QUOTA_FAIL_CLOSED) {
      this.counters.failClosedRejections++;
      throw unavailable("Your plan's quota cannot be checked right now, so the call was not forwarded.");
    }
    if (!this.env.GATEWAY_RATE_LIMIT_FAIL_OPEN) {
      this.counters.failClosedRejections++;
      throw unavailable('Rate limits cannot be checked right now, so the call was not forwarded.');
    }
    this.counters.fallbackDecisions++;
    return this.fallback.decide(request);
  }

  private warn(error: LimiterUnavailableError): void {
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.logger.warn(
      { err: error, failures: this.counters.redisFailures },
      'limiter Redis unreachable: rate limits use the per-process fallback (fail-open) and paid hard quotas fail closed, per GATEWAY_RATE_LIMIT_FAIL_OPEN / GATEWAY_PAID_QUOTA_FAIL_CLOSED',
    );
  }
}

function unavailable(what: string): AppError {
  return new AppError(
    'service_unavailable',
    `${what} Retry in a few seconds.`,
    { retryAfter: 1 },
    { 'Retry-After': '1' },
  );
}
