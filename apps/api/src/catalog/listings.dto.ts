import { applyDecorators } from '@nestjs/common';
import {
  CATALOG_PAGE_LIMITS,
  CREDENTIAL_LOCATIONS,
  LISTING_LIMITS,
  LISTING_SLUG_PATTERN,
  LISTING_SLUG_RULE,
  LISTING_STATUSES,
  LISTING_VISIBILITIES,
  TAG_RULE,
  type CatalogEndpoint,
  type CatalogListingDetail,
  type CatalogListingSummary,
  type CatalogPage,
  type CatalogPlan,
  type CategoryWithCount,
  type CredentialLocation,
  type ListingAction,
  type ListingRating,
  type ListingStatus,
  type ListingView,
  type ListingVisibility,
  type ProxySecretView,
  type ReviewView,
} from '@app/catalog';
import type { ApiInvitationEntity } from '@app/catalog';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';

/** An optional, nullable http(s) URL field (logo, website, terms); the service checks the scheme. */
function OptionalUrl(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ format: 'uri', maxLength: LISTING_LIMITS.urlMax, nullable: true, type: String }),
    IsOptional(),
    IsString(),
    MaxLength(LISTING_LIMITS.urlMax),
  );
}


const LISTING_ACTIONS: ListingAction[] = ['publish', 'approve', 'reject', 'deprecate', 'retire'];
const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);
const definedOrNull = (_: object, value: unknown): boolean => value !== undefined;

export class CredentialInputDto {
  @ApiProperty({
    enum: CREDENTIAL_LOCATIONS,
    description: 'Sent as a request header or as a query parameter.',
  })
  @IsIn([...CREDENTIAL_LOCATIONS])
  location!: CredentialLocation;

  @ApiProperty({
    maxLength: LISTING_LIMITS.credentialNameMax,
    example: 'X-Api-Key',
    description:
      'Header name (an HTTP token; not hop-by-hop, Host, Content-*, Forwarded/X-Forwarded-* or X-Portico-*) or query parameter name (letters, digits, ._~-).',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(LISTING_LIMITS.credentialNameMax)
  name!: string;

  @ApiProperty({
    maxLength: LISTING_LIMITS.credentialValueMax,
    writeOnly: true,
    description:
      'The secret. Stored encrypted (AES-256-GCM) and never shown again: responses show its last four characters.',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(LISTING_LIMITS.credentialValueMax)
  value!: string;
}

export class CreateListingDto {
  @ApiProperty({ maxLength: LISTING_LIMITS.nameMax, example: 'Weather Now' })
  @IsString()
  @MinLength(1)
  @MaxLength(LISTING_LIMITS.nameMax)
  name!: string;

  @ApiProperty({
    minLength: LISTING_LIMITS.slugMin,
    maxLength: LISTING_LIMITS.slugMax,
    pattern: LISTING_SLUG_PATTERN.source,
    example: 'weather-now',
    description: `Unique; consumers call {GATEWAY_URL}/{slug}/…; ${LISTING_SLUG_RULE}; not a reserved word (health, docs, v1, api, admin, …). Permanent once published.`,
  })
  @IsString()
  @Matches(LISTING_SLUG_PATTERN, { message: `slug ${LISTING_SLUG_RULE}` })
  slug!: string;

  @ApiProperty({
    maxLength: LISTING_LIMITS.summaryMax,
    example: 'Current conditions and forecasts for any city.',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(LISTING_LIMITS.summaryMax)
  summary!: string;

  @ApiPropertyOptional({ maxLength: LISTING_LIMITS.descriptionMax, description: 'Markdown.' })
  @IsOptional()
  @IsString()
  @MaxLength(LISTING_LIMITS.descriptionMax)
  description?: string;

  @ApiProperty({ maxLength: 64, example: 'weather', description: 'A category slug from GET /v1/categories.' })
  @IsString()
  @MaxLength(64)
  category!: string;

  @ApiPropertyOptional({
    type: [String],
    maxItems: LISTING_LIMITS.tagsMax,
    example: ['forecast', 'climate'],
    description: `At most ${LISTING_LIMITS.tagsMax}; each ${TAG_RULE} (lower-cased and de-duplicated).`,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(LISTING_LIMITS.tagsMax)
  @IsString({ each: true })
  @MaxLength(LISTING_LIMITS.tagMax, { each: true })
  tags?: string[];

  @OptionalUrl()
  logoUrl?: string | null;

  @OptionalUrl()
  websiteUrl?: string | null;

  @OptionalUrl()
  termsUrl?: string | null;

  @ApiPropertyOptional({
    enum: LISTING_VISIBILITIES,
    default: 'public',
    description: 'private: only invited accounts (POST …/invitations) and you see it.',
  })
  @IsOptional()
  @IsIn([...LISTING_VISIBILITIES])
  visibility?: ListingVisibility;

  @ApiProperty({
    format: 'uri',
    maxLength: LISTING_LIMITS.urlMax,
    example: 'https://api.weather-now.example/v1',
    description:
      'Base URL the gateway forwards live calls to: http(s), no user name or password, query or fragment; its host must be (and resolve to) a public address unless the operator allows private upstreams.',
  })
  @IsString()
  @MaxLength(LISTING_LIMITS.urlMax)
  upstreamLiveUrl!: string;

  @ApiPropertyOptional({
    format: 'uri',
    maxLength: LISTING_LIMITS.urlMax,
    nullable: true,
    type: String,
    description:
      'Base URL for mp_test_ calls (same rules); without one, test calls are answered from the OpenAPI examples.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(LISTING_LIMITS.urlMax)
  upstreamSandboxUrl?: string | null;

  @ApiPropertyOptional({
    minimum: LISTING_LIMITS.timeoutMinMs,
    maximum: LISTING_LIMITS.timeoutMaxMs,
    default: LISTING_LIMITS.timeoutDefaultMs,
  })
  @IsOptional()
  @IsInt()
  @Min(LISTING_LIMITS.timeoutMinMs)
  @Max(LISTING_LIMITS.timeoutMaxMs)
  upstreamTimeoutMs?: number;

  @ApiPropertyOptional({
    type: () => CredentialInputDto,
    nullable: true,
    description: 'Injected by the gateway on every call; the consumer cannot override it.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => CredentialInputDto)
  credential?: CredentialInputDto | null;
}

/** Only the fields sent change; `null` clears an optional one (`credential: null` removes the credential). */
export class UpdateListingDto {
  @ApiPropertyOptional({ maxLength: LISTING_LIMITS.nameMax })
  @ValidateIf(definedOrNull)
  @IsString()
  @MinLength(1)
  @MaxLength(LISTING_LIMITS.nameMax)
  name?: string;

  @ApiPropertyOptional({
    pattern: LISTING_SLUG_PATTERN.source,
    description: 'Changeable only while the API was never published.',
  })
  @ValidateIf(definedOrNull)
  @IsString()
  @Matches(LISTING_SLUG_PATTERN, { message: `slug ${LISTING_SLUG_RULE}` })
  slug?: string;

  @ApiPropertyOptional({ maxLength: LISTING_LIMITS.summaryMax })
  @ValidateIf(definedOrNull)
  @IsString()
  @MinLength(1)
  @MaxLength(LISTING_LIMITS.summaryMax)
  summary?: string;

  @ApiPropertyOptional({ maxLength: LISTING_LIMITS.descriptionMax, description: 'Markdown.' })
  @ValidateIf(definedOrNull)
  @IsString()
  @MaxLength(LISTING_LIMITS.descriptionMax)
  description?: string;

  @ApiPropertyOptional({ maxLength: 64 })
  @ValidateIf(definedOrNull)
  @IsString()
  @MaxLength(64)
  category?: string;

  @ApiPropertyOptional({ type: [String], maxItems: LISTING_LIMITS.tagsMax })
  @ValidateIf(definedOrNull)
  @IsArray()
  @ArrayMaxSize(LISTING_LIMITS.tagsMax)
  @IsString({ each: true })
  @MaxLength(LISTING_LIMITS.tagMax, { each: true })
  tags?: string[];

  @OptionalUrl()
  logoUrl?: string | null;

  @OptionalUrl()
  websiteUrl?: string | null;

  @OptionalUrl()
  termsUrl?: string | null;

  @ApiPropertyOptional({
    enum: LISTING_VISIBILITIES,
    description:
      'Making a live API public while the operator requires approval puts it under review (it keeps serving).',
  })
  @ValidateIf(definedOrNull)
  @IsIn([...LISTING_VISIBILITIES])
  visibility?: ListingVisibility;

  @ApiPropertyOptional({ format: 'uri', maxLength: LISTING_LIMITS.urlMax })
  @ValidateIf(definedOrNull)
  @IsString()
  @MaxLength(LISTING_LIMITS.urlMax)
  upstreamLiveUrl?: string;

  @ApiPropertyOptional({ format: 'uri', maxLength: LISTING_LIMITS.urlMax, nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(LISTING_LIMITS.urlMax)
  upstreamSandboxUrl?: string | null;

  @ApiPropertyOptional({ minimum: LISTING_LIMITS.timeoutMinMs, maximum: LISTING_LIMITS.timeoutMaxMs })
  @ValidateIf(definedOrNull)
  @IsInt()
  @Min(LISTING_LIMITS.timeoutMinMs)
  @Max(LISTING_LIMITS.timeoutMaxMs)
  upstreamTimeoutMs?: number;

  @ApiPropertyOptional({
    type: () => CredentialInputDto,
    nullable: true,
    description: 'Replaces the credential; null removes it.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => CredentialInputDto)
  credential?: CredentialInputDto | null;
}

export class DeprecateListingDto {
  @ApiProperty({
    format: 'date-time',
    example: '2027-06-30T00:00:00Z',
    description: 'When the API stops answering; in the future.',
  })
  @IsString()
  @IsISO8601({ strict: true }, { message: 'sunsetAt must be an ISO 8601 date and time' })
  sunsetAt!: string;

  @ApiProperty({ maxLength: LISTING_LIMITS.deprecationMessageMax, example: 'Use weather-now-v2 instead.' })
  @IsString()
  @MinLength(1)
  @MaxLength(LISTING_LIMITS.deprecationMessageMax)
  message!: string;
}

export class RotateProxySecretDto {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: LISTING_LIMITS.proxySecretGraceMaxSeconds,
    default: LISTING_LIMITS.proxySecretGraceDefaultSeconds,
    description: 'How long the old secret stays valid; 0 ends it now.',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(LISTING_LIMITS.proxySecretGraceMaxSeconds)
  gracePeriodSeconds?: number;
}

export class InviteToListingDto {
  @ApiProperty({
    format: 'email',
    maxLength: LISTING_LIMITS.emailMax,
    description: 'The account with this email (now or once it signs up) sees the private API.',
  })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(LISTING_LIMITS.emailMax)
  email!: string;
}

export class CatalogQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: CATALOG_PAGE_LIMITS.pageMax, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(CATALOG_PAGE_LIMITS.pageMax)
  page?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: CATALOG_PAGE_LIMITS.perPageMax,
    default: CATALOG_PAGE_LIMITS.perPageDefault,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(CATALOG_PAGE_LIMITS.perPageMax)
  perPage?: number;

  @ApiPropertyOptional({ maxLength: 64, description: 'Category slug.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  category?: string;

  @ApiPropertyOptional({ maxLength: LISTING_LIMITS.tagMax })
  @IsOptional()
  @IsString()
  @MaxLength(LISTING_LIMITS.tagMax)
  tag?: string;

  @ApiPropertyOptional({ maxLength: 64, description: 'Provider slug.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  provider?: string;

  @ApiPropertyOptional({
    enum: ['free', 'paid'],
    description: 'free: has a free plan; paid: has a paid plan.',
  })
  @IsOptional()
  @IsIn(['free', 'paid'])
  pricing?: 'free' | 'paid';

  @ApiPropertyOptional({ enum: ['newest', 'name'], default: 'newest' })
  @IsOptional()
  @IsIn(['newest', 'name'])
  sort?: 'newest' | 'name';
}

// ---- responses ----------------------------------------------------------------------------------

export class CredentialSummaryDto {
  @ApiProperty({ enum: CREDENTIAL_LOCATIONS }) location!: CredentialLocation;
  @ApiProperty() name!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Last four characters of the value; null when it is shorter than 12 characters.',
  })
  last4!: string | null;
}

export class ListingDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) providerId!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() name!: string;
  @ApiProperty() summary!: string;
  @ApiProperty({ description: 'Markdown.' }) description!: string;
  @ApiProperty({ description: 'Category slug.' }) category!: string;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ nullable: true, type: String }) logoUrl!: string | null;
  @ApiProperty({ nullable: true, type: String }) websiteUrl!: string | null;
  @ApiProperty({ nullable: true, type: String }) termsUrl!: string | null;
  @ApiProperty({ enum: LISTING_VISIBILITIES }) visibility!: ListingVisibility;
  @ApiProperty({ enum: LISTING_STATUSES }) status!: ListingStatus;
  @ApiProperty({
    enum: LISTING_ACTIONS,
    isArray: true,
    description: 'What you can do next: POST /v1/provider/apis/{id}/{action}.',
  })
  allowedActions!: ListingAction[];
  @ApiProperty({ nullable: true, type: String }) publishedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) sunsetAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) deprecationMessage!: string | null;
  @ApiProperty() upstreamLiveUrl!: string;
  @ApiProperty({ nullable: true, type: String }) upstreamSandboxUrl!: string | null;
  @ApiProperty() upstreamTimeoutMs!: number;
  @ApiProperty({ type: () => CredentialSummaryDto, nullable: true, description: 'Never the value.' })
  credential!: CredentialSummaryDto | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) currentVersionId!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static from(view: ListingView): ListingDto {
    return {
      ...view,
      allowedActions: [...view.allowedActions],
      tags: [...view.tags],
      credential: view.credential ? { ...view.credential } : null,
      publishedAt: iso(view.publishedAt),
      sunsetAt: iso(view.sunsetAt),
      createdAt: view.createdAt.toISOString(),
      updatedAt: view.updatedAt.toISOString(),
    };
  }
}

export class ReviewProviderDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() displayName!: string;
}

export class ReviewListingDto extends ListingDto {
  @ApiProperty({ type: () => ReviewProviderDto }) provider!: ReviewProviderDto;

  static fromReview(view: ReviewView): ReviewListingDto {
    return { ...ListingDto.from(view), provider: { ...view.provider } };
  }
}

export class CurrentProxySecretDto {
  @ApiProperty({ description: 'Sent by the gateway as X-Portico-Proxy-Secret (256 bits, base64url).' })
  secret!: string;
  @ApiProperty() createdAt!: string;
}

export class PreviousProxySecretDto {
  @ApiProperty() secret!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ description: 'Accept it until then.' }) expiresAt!: string;
}

export class ProxySecretDto {
  @ApiProperty({ type: () => CurrentProxySecretDto }) current!: CurrentProxySecretDto;
  @ApiProperty({
    type: () => PreviousProxySecretDto,
    nullable: true,
    description: 'The secret the last rotation replaced, while its grace period lasts.',
  })
  previous!: PreviousProxySecretDto | null;

  static from(view: ProxySecretView): ProxySecretDto {
    return {
      current: { secret: view.current.secret, createdAt: view.current.createdAt.toISOString() },
      previous: view.previous
        ? {
            secret: view.previous.secret,
            createdAt: view.previous.createdAt.toISOString(),
            expiresAt: view.previous.expiresAt.toISOString(),
          }
        : null,
    };
  }
}

export class ListingInvitationDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'email' }) email!: string;
  @ApiProperty() createdAt!: string;

  static from(invitation: ApiInvitationEntity): ListingInvitationDto {
    return { id: invitation.id, email: invitation.email, createdAt: invitation.createdAt.toISOString() };
  }
}

export class CategoryDto {
  @ApiProperty() slug!: string;
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ description: 'APIs in the public catalog under this category.' }) apiCount!: number;

  static from(category: CategoryWithCount): CategoryDto {
    return {
      slug: category.slug,
      name: category.name,
      description: category.description,
      apiCount: category.apiCount,
    };
  }
}

export class CatalogCategoryRefDto {
  @ApiProperty() slug!: string;
  @ApiProperty() name!: string;
}

export class CatalogProviderRefDto {
  @ApiProperty() slug!: string;
  @ApiProperty() displayName!: string;
}

export class CatalogListingDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() name!: string;
  @ApiProperty() summary!: string;
  @ApiProperty({ type: () => CatalogCategoryRefDto }) category!: CatalogCategoryRefDto;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ nullable: true, type: String }) logoUrl!: string | null;
  @ApiProperty({ type: () => CatalogProviderRefDto }) provider!: CatalogProviderRefDto;
  @ApiProperty({
    enum: LISTING_STATUSES,
    description: 'published or deprecated (see sunsetAt) in the public catalog.',
  })
  status!: ListingStatus;
  @ApiProperty({ nullable: true, type: String }) publishedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) sunsetAt!: string | null;
  @ApiProperty() hasFreePlan!: boolean;
  @ApiProperty() hasPaidPlan!: boolean;

  static from(item: CatalogListingSummary): CatalogListingDto {
    return {
      id: item.id,
      slug: item.slug,
      name: item.name,
      summary: item.summary,
      category: { ...item.category },
      tags: [...item.tags],
      logoUrl: item.logoUrl,
      provider: { slug: item.provider.slug, displayName: item.provider.displayName },
      status: item.status,
      publishedAt: iso(item.publishedAt),
      sunsetAt: iso(item.sunsetAt),
      hasFreePlan: item.hasFreePlan,
      hasPaidPlan: item.hasPaidPlan,
    };
  }
}

export class CatalogPageDto {
  @ApiProperty({ type: [CatalogListingDto] }) items!: CatalogListingDto[];
  @ApiProperty() page!: number;
  @ApiProperty() perPage!: number;
  @ApiProperty({ description: 'Listings matching the filters, across all pages.' }) total!: number;

  static from(page: CatalogPage): CatalogPageDto {
    return {
      items: page.items.map((item) => CatalogListingDto.from(item)),
      page: page.page,
      perPage: page.perPage,
      total: page.total,
    };
  }
}

export class CatalogEndpointDto {
  @ApiProperty({ example: 'GET' }) method!: string;
  @ApiProperty({ example: '/forecast/{city}' }) path!: string;
  @ApiProperty({ nullable: true, type: String }) summary!: string | null;
  @ApiProperty({ nullable: true, type: String }) operationId!: string | null;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty() deprecated!: boolean;

  static from(endpoint: CatalogEndpoint): CatalogEndpointDto {
    return { ...endpoint, tags: [...endpoint.tags] };
  }
}

export class CatalogRateLimitDto {
  @ApiPropertyOptional() perSecond?: number;
  @ApiPropertyOptional() perMinute?: number;
  @ApiPropertyOptional() perHour?: number;
  @ApiPropertyOptional({ description: 'Extra requests allowed above perSecond in a burst.' }) burst?: number;
}

export class CatalogPlanDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({
    example: '2500',
    description: 'Monthly price in minor units (cents) as an integer string; "0" = free.',
  })
  priceAmountMinor!: string;
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({ enum: ['month', 'day'] }) quotaPeriod!: string;
  @ApiProperty({ nullable: true, type: Number, description: 'Calls per period; null = unlimited.' })
  quotaLimit!: number | null;
  @ApiProperty({
    enum: ['hard', 'soft'],
    description: 'hard: 429 when the quota is used up; soft: overage billed per call.',
  })
  quotaMode!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '0.05',
    description: 'Minor units per call over the quota (exact decimal).',
  })
  overageUnitPriceMinor!: string | null;
  @ApiProperty({ type: () => CatalogRateLimitDto }) rateLimit!: CatalogRateLimitDto;
  @ApiProperty() trialDays!: number;
  @ApiProperty() approvalRequired!: boolean;

  static from(plan: CatalogPlan): CatalogPlanDto {
    return { ...plan, rateLimit: { ...plan.rateLimit } };
  }
}

export class CatalogProviderDto extends CatalogProviderRefDto {
  @ApiProperty({ nullable: true, type: String }) websiteUrl!: string | null;
}

export class RatingDistributionDto {
  @ApiProperty({ description: 'Visible reviews with 1 star.' }) '1'!: number;
  @ApiProperty({ description: 'Visible reviews with 2 stars.' }) '2'!: number;
  @ApiProperty({ description: 'Visible reviews with 3 stars.' }) '3'!: number;
  @ApiProperty({ description: 'Visible reviews with 4 stars.' }) '4'!: number;
  @ApiProperty({ description: 'Visible reviews with 5 stars.' }) '5'!: number;
}

export class ListingRatingDto {
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 4.25,
    description: 'Mean rating of the visible reviews, two decimals; null when there is none.',
  })
  average!: number | null;
  @ApiProperty({ description: 'Visible reviews (hidden ones are not counted).' }) count!: number;
  @ApiProperty({ type: () => RatingDistributionDto }) distribution!: RatingDistributionDto;

  static from(rating: ListingRating): ListingRatingDto {
    return { average: rating.average, count: rating.count, distribution: { ...rating.distribution } };
  }
}

export class CatalogListingDetailDto extends CatalogListingDto {
  @ApiProperty({ description: 'Markdown.' }) description!: string;
  @ApiProperty({ nullable: true, type: String }) websiteUrl!: string | null;
  @ApiProperty({ nullable: true, type: String }) termsUrl!: string | null;
  @ApiProperty({ enum: LISTING_VISIBILITIES }) visibility!: ListingVisibility;
  @ApiProperty({ nullable: true, type: String }) deprecationMessage!: string | null;
  @ApiProperty({ type: () => CatalogProviderDto }) declare provider: CatalogProviderDto;
  @ApiProperty({
    type: [CatalogEndpointDto],
    description: "The current version's endpoints (empty before a version is published).",
  })
  endpoints!: CatalogEndpointDto[];
  @ApiProperty({ type: [CatalogPlanDto], description: 'Active public plans.' }) plans!: CatalogPlanDto[];
  @ApiProperty({
    type: () => ListingRatingDto,
    description: 'Rating from the visible reviews (GET /v1/apis/{slug}/reviews lists them).',
  })
  rating!: ListingRatingDto;

  static fromDetail(detail: CatalogListingDetail): CatalogListingDetailDto {
    return {
      ...CatalogListingDto.from(detail),
      description: detail.description,
      websiteUrl: detail.websiteUrl,
      termsUrl: detail.termsUrl,
      visibility: detail.visibility,
      deprecationMessage: detail.deprecationMessage,
      provider: { ...detail.provider },
      endpoints: detail.endpoints.map((endpoint) => CatalogEndpointDto.from(endpoint)),
      plans: detail.plans.map((plan) => CatalogPlanDto.from(plan)),
      rating: ListingRatingDto.from(detail.rating),
    };
  }
}
