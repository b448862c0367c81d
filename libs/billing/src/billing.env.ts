import { BooleanEnv } from '@app/common';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsUrl, Matches, Max, Min, ValidateIf } from 'class-validator';

export type PaymentsMode = 'local' | 'stripe';

/** How often providers are paid out (README "Payments and payouts"). */
export type PayoutSchedule = 'daily' | 'weekly' | 'monthly' | 'manual';
export const PAYOUT_SCHEDULES: readonly PayoutSchedule[] = ['daily', 'weekly', 'monthly', 'manual'];

const usesStripe = (env: BillingEnv): boolean => env.PAYMENTS === 'stripe';

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
   * Test clocks (admin endpoint that advances one subscription's time). On by default when
   * PAYMENTS=local outside production; never with NODE_ENV=production.
   */
  @IsOptional()
  @BooleanEnv()
  @IsBoolean({ message: 'BILLING_TEST_CLOCKS must be true or false' })
  BILLING_TEST_CLOCKS?: boolean;
}
