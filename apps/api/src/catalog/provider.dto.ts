import {
  PROVIDER_LIMITS,
  PROVIDER_SLUG_PATTERN,
  PROVIDER_SLUG_RULE,
  type PayoutStatus,
  type ProviderEntity,
} from '@app/catalog';
import type { OnboardingLinkResult, PayoutsOverview } from '@app/billing';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsEmail,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';

const PAYOUT_STATUSES: PayoutStatus[] = ['not_started', 'pending', 'ready', 'restricted'];
const WEBSITE_URL = {
  protocols: ['http', 'https'],
  require_protocol: true,
  require_tld: false,
  disallow_auth: true,
};
const WEBSITE_URL_MESSAGE = {
  message: 'websiteUrl must be an absolute http(s) URL without a user name or password',
};

export class CreateProviderDto {
  @ApiProperty({ maxLength: PROVIDER_LIMITS.displayNameMax, example: 'Acme Data' })
  @IsString()
  @MinLength(1)
  @MaxLength(PROVIDER_LIMITS.displayNameMax)
  displayName!: string;

  @ApiProperty({
    minLength: PROVIDER_LIMITS.slugMin,
    maxLength: PROVIDER_LIMITS.slugMax,
    pattern: PROVIDER_SLUG_PATTERN.source,
    example: 'acme-data',
    description: `Unique, permanent (it is in URLs); ${PROVIDER_SLUG_RULE}.`,
  })
  @IsString()
  @Matches(PROVIDER_SLUG_PATTERN, { message: `slug ${PROVIDER_SLUG_RULE}` })
  slug!: string;

  @ApiProperty({
    format: 'email',
    maxLength: PROVIDER_LIMITS.supportEmailMax,
    example: 'support@acme.example',
  })
  @IsEmail({}, { message: 'supportEmail must be an email address' })
  @MaxLength(PROVIDER_LIMITS.supportEmailMax)
  supportEmail!: string;

  @ApiPropertyOptional({
    format: 'uri',
    maxLength: PROVIDER_LIMITS.websiteUrlMax,
    nullable: true,
    type: String,
    example: 'https://acme.example',
  })
  @IsOptional()
  @IsUrl(WEBSITE_URL, WEBSITE_URL_MESSAGE)
  @MaxLength(PROVIDER_LIMITS.websiteUrlMax)
  websiteUrl?: string | null;
}

/** Only the fields sent change; `websiteUrl: null` clears it. The slug cannot change. */
export class UpdateProviderDto {
  @ApiPropertyOptional({ maxLength: PROVIDER_LIMITS.displayNameMax })
  @ValidateIf((_: object, value: unknown) => value !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(PROVIDER_LIMITS.displayNameMax)
  displayName?: string;

  @ApiPropertyOptional({ format: 'email', maxLength: PROVIDER_LIMITS.supportEmailMax })
  @ValidateIf((_: object, value: unknown) => value !== undefined)
  @IsEmail({}, { message: 'supportEmail must be an email address' })
  @MaxLength(PROVIDER_LIMITS.supportEmailMax)
  supportEmail?: string;

  @ApiPropertyOptional({
    format: 'uri',
    maxLength: PROVIDER_LIMITS.websiteUrlMax,
    nullable: true,
    type: String,
  })
  @IsOptional()
  @IsUrl(WEBSITE_URL, WEBSITE_URL_MESSAGE)
  @MaxLength(PROVIDER_LIMITS.websiteUrlMax)
  websiteUrl?: string | null;
}

export class ProviderDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ format: 'email' }) supportEmail!: string;
  @ApiProperty({ nullable: true, type: String, format: 'uri' }) websiteUrl!: string | null;
  @ApiProperty({
    enum: PAYOUT_STATUSES,
    description:
      'Whether the provider can be paid; `ready` is required to publish a paid plan. Details: GET /v1/provider/payouts.',
  })
  payoutStatus!: PayoutStatus;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static from(provider: ProviderEntity): ProviderDto {
    return {
      id: provider.id,
      slug: provider.slug,
      displayName: provider.displayName,
      supportEmail: provider.supportEmail,
      websiteUrl: provider.websiteUrl,
      payoutStatus: provider.payoutStatus,
      createdAt: provider.createdAt.toISOString(),
      updatedAt: provider.updatedAt.toISOString(),
    };
  }
}

export class PayoutsDto {
  @ApiProperty({ enum: ['local', 'stripe'], description: 'The payments adapter of this install.' })
  mode!: 'local' | 'stripe';

  @ApiProperty({
    enum: PAYOUT_STATUSES,
    description:
      '`not_started`: onboarding not submitted yet; `pending`: submitted, Stripe is verifying; `restricted`: Stripe needs more information (see requirements) or disabled the account; `ready`: charges and payouts enabled.',
  })
  status!: PayoutStatus;

  @ApiProperty() chargesEnabled!: boolean;
  @ApiProperty() payoutsEnabled!: boolean;

  @ApiProperty({
    type: [String],
    description: 'What Stripe needs from you now (its requirement names); empty when nothing is due.',
  })
  requirements!: string[];

  @ApiProperty({
    description: 'False with local payments: there is nothing to onboard, payouts are ready at once.',
  })
  onboardingRequired!: boolean;

  @ApiProperty({
    description: 'Whether the Stripe connected account exists yet (created by the first onboarding link).',
  })
  accountConnected!: boolean;

  static from(overview: PayoutsOverview): PayoutsDto {
    return { ...overview, requirements: [...overview.requirements] };
  }
}

export class OnboardingLinkDto {
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'uri',
    description:
      'Single-use link to Stripe-hosted onboarding: send the browser there. Null when there is nothing to onboard (local payments).',
  })
  url!: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'When the link stops working (a few minutes).' })
  expiresAt!: string | null;

  @ApiProperty({ enum: PAYOUT_STATUSES }) status!: PayoutStatus;

  static from(link: OnboardingLinkResult): OnboardingLinkDto {
    return { url: link.url, expiresAt: link.expiresAt?.toISOString() ?? null, status: link.status };
  }
}
