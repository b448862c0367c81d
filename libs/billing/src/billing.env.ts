import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUrl, Matches, Max, Min, ValidateIf } from 'class-validator';

export type PaymentsMode = 'local' | 'stripe';

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
}
