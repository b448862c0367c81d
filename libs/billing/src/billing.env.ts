import { BooleanEnv } from '@app/common';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsUrl, Matches, Max, Min, ValidateIf } from 'class-validator';

export type PaymentsMode = 'local' | 'stripe';

/** How often providers are paid out (README "Payments and payouts"). */
export type PayoutSchedule = 'daily' | 'weekly' | 'monthly' | 'manual';
export const PAYOUT_SCHEDULES: readonly PayoutSchedule[] = ['daily', 'weekly', 'monthly', 'manual'];

const usesStripe = (env: BillingEnv): boolean => env.PAYMENTS === 'stripe';

/** `30s`, `15m`, `12h`, `3d`. */
const DURATION = /^\d+(s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration in the env's form (`3d`) in milliseconds. */
export function durationMs(text: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!match) throw new Error(`not a duration: ${text}`);
  return Number(match[1]) * UNIT_MS[match[2]];
}

/** DUNNING_RETRY_SCHEDULE as offsets (ms) from the first failed payment, ascending. */
export function retryScheduleMs(env: Pick<BillingEnv, 'DUNNING_RETRY_SCHEDULE'>): number[] {
  return env.DUNNING_RETRY_SCHEDULE.split(',').map((part) => durationMs(part));
}

/** Variables owned by libs/billing: which payments adapter runs, its Stripe credentials, the platform fee. */
export class BillingEnv {
  /** `local` (built in: payouts ready at once, the ledger records what is owed) | `stripe` (Connect). */
  @IsIn(['local', 'stripe'], { message: 'PAYMENTS must be local or stripe' })
  PAYMENTS: PaymentsMode = 'local';

  /** Secret (or restricted) API key of the Stripe platform account; required when PAYMENTS=stripe. */
  @ValidateIf(usesStripe)
  @Matches(/^(sk|rk)_(test|live)_\S+$/, {
    message:
      'STRIPE_SECRET_KEY must be set to a Stripe secret key (sk_test_… or sk_live_…) when PAYMENTS=stripe',
  })
  STRIPE_SECRET_KEY?: string;

  /** Signing secret of the webhook endpoint POST /v1/webhooks/stripe; required when PAYMENTS=stripe. */
  @ValidateIf(usesStripe)
  @Matches(/^whsec_\S+$/, {
    message: 'STRIPE_WEBHOOK_SECRET must be set to the webhook signing secret (whsec_…) when PAYMENTS=stripe',
  })
  STRIPE_WEBHOOK_SECRET?: string;

  /** Base URL of the Stripe API; only for a test fake or a proxy (e.g. http://127.0.0.1:12111). */
  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'STRIPE_API_URL must be an http(s) URL such as http://127.0.0.1:12111' },
  )
  STRIPE_API_URL?: string;

  /** Platform fee in basis points of every charge (2000 = 20 %); providers receive the rest. */
  @Type(() => Number)
  @IsInt({ message: 'PLATFORM_FEE_BPS must be a whole number of basis points (0–10000)' })
  @Min(0, { message: 'PLATFORM_FEE_BPS must be at least 0' })
  @Max(10_000, { message: 'PLATFORM_FEE_BPS must be at most 10000 (100 %)' })
  PLATFORM_FEE_BPS = 2000;

  /** When payouts run (UTC, 02:00): daily, weekly (Mondays), monthly (the 1st) or manual (admins run them). */
  @IsIn([...PAYOUT_SCHEDULES], { message: 'PAYOUT_SCHEDULE must be daily, weekly, monthly or manual' })
  PAYOUT_SCHEDULE: PayoutSchedule = 'weekly';

  /**
   * When an unpaid invoice is retried, as offsets from the first failed payment (comma-separated
   * durations, ascending): `3d,5d,7d` retries 3, 5 and 7 days after; after the last failed retry
   * the subscription is canceled and the invoice marked uncollectible.
   */
  @Matches(/^\d+(s|m|h|d)(,\d+(s|m|h|d))*$/, {
    message: 'DUNNING_RETRY_SCHEDULE must be comma-separated durations such as 3d,5d,7d (units s, m, h, d)',
  })
  DUNNING_RETRY_SCHEDULE = '3d,5d,7d';

  /** How long a past_due subscription keeps gateway access after the first failed payment (then subscription_inactive). */
  @Matches(DURATION, { message: 'DUNNING_GRACE_PERIOD must be a duration such as 7d (units s, m, h, d)' })
  DUNNING_GRACE_PERIOD = '7d';

  /** PAYMENTS=stripe: overage is reported to Stripe per subscription and window of this many minutes (one meter event each). */
  @Type(() => Number)
  @IsInt({ message: 'STRIPE_USAGE_WINDOW_MINUTES must be a whole number of minutes (1–1440)' })
  @Min(1, { message: 'STRIPE_USAGE_WINDOW_MINUTES must be at least 1' })
  @Max(1440, { message: 'STRIPE_USAGE_WINDOW_MINUTES must be at most 1440 (a day)' })
  STRIPE_USAGE_WINDOW_MINUTES = 60;

  /**
   * Test clocks (admin endpoint that advances one subscription's time). On by default when
   * PAYMENTS=local outside production; never with NODE_ENV=production.
   */
  @IsOptional()
  @BooleanEnv()
  @IsBoolean({ message: 'BILLING_TEST_CLOCKS must be true or false' })
  BILLING_TEST_CLOCKS?: boolean;
}
