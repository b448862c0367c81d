import {
  ENDPOINT_KEY_PATTERN,
  ENDPOINT_KEY_RULE,
  parseCurrency,
  parseMinorAmount,
  parseOverageUnitPrice,
  PLAN_LIMITS,
  SUPPORTED_CURRENCIES,
  type PlanChange,
  type PlanChangeOutcome,
  type PlanInvitation,
  type PlanStatus,
  type PlanView,
  type PlanVisibility,
  type QuotaMode,
  type QuotaPeriod,
  type RateLimit,
} from '@app/catalog';
import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  type ValidationArguments,
} from 'class-validator';

const QUOTA_PERIODS: QuotaPeriod[] = ['month', 'day'];
const QUOTA_MODES: QuotaMode[] = ['hard', 'soft'];
const VISIBILITIES: PlanVisibility[] = ['public', 'private'];
const STATUSES: PlanStatus[] = ['active', 'superseded', 'archived'];
const OUTCOMES: PlanChangeOutcome[] = ['unchanged', 'edited', 'versioned'];
const RL = PLAN_LIMITS.rateLimit;

/** Validates with one of the catalog's parse functions (the service applies the same one). */
function Parses(
  name: string,
  parse: (value: unknown) => { ok: true } | { ok: false; message: string },
): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (value: unknown) => parse(value).ok,
      defaultMessage: (args?: ValidationArguments) => {
        const result = parse(args?.value);
        return `${args?.property ?? name} ${result.ok ? 'is not valid' : result.message}`;
      },
    },
  });
}

/** Present and not null (IsOptional would let null through to fields that are not nullable). */
const Present = (): PropertyDecorator => ValidateIf((_: object, value: unknown) => value !== undefined);

const PRICE_DOC: ApiPropertyOptions = {
  oneOf: [
    { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    { type: 'string', pattern: '^\\d{1,19}$' },
  ],
  description:
    "Monthly price in the currency's minor units (cents; yen for JPY, which has none), 0 = free. A JSON integer, or a string of digits for amounts past 2^53 (at most 9223372036854775807).",
  example: 1999,
};
const CURRENCY_DOC: ApiPropertyOptions = {
  enum: [...SUPPORTED_CURRENCIES],
  description: 'ISO 4217, upper-case. Amounts are in its minor unit (USD 2 digits, JPY 0, KWD 3).',
  example: 'USD',
};
const QUOTA_LIMIT_DOC: ApiPropertyOptions = {
  type: 'integer',
  nullable: true,
  minimum: 1,
  maximum: PLAN_LIMITS.quotaLimitMax,
  description:
    "Billing units (calls × endpoint weight) per quota period; null = unlimited. A monthly period runs from the subscription's start date (same day-of-month, clamped to the month's last day), a daily one is the UTC day.",
};
const OVERAGE_DOC: ApiPropertyOptions = {
  type: String,
  nullable: true,
  pattern: '^\\d{1,10}(\\.\\d{1,10})?$',
  description:
    'Soft quota only (required then, null for hard): the price of each billing unit over the quota, in minor units, as an exact decimal string ("0.05" = 0.05 cents per call in USD). Never a JSON number.',
  example: '0.05',
};
const ENDPOINTS_DOC: ApiPropertyOptions = {
  type: String,
  isArray: true,
  nullable: true,
  description: `Endpoints the plan includes, or null for every endpoint. Each ${ENDPOINT_KEY_RULE}; when the API has a current version, each must be one of its endpoints.`,
  example: ['GET /search', 'GET /items/{id}'],
};
const WEIGHTS_DOC: ApiPropertyOptions = {
  type: 'object',
  additionalProperties: { type: 'integer', minimum: PLAN_LIMITS.weightMin, maximum: PLAN_LIMITS.weightMax },
  description: `Billing units one call of an endpoint costs (default 1), by "METHOD /path"; integers ${PLAN_LIMITS.weightMin}–${PLAN_LIMITS.weightMax}.`,
  example: { 'GET /search': 5 },
};
const ENDPOINT_LIMITS_DOC: ApiPropertyOptions = {
  type: 'object',
  additionalProperties: { $ref: '#/components/schemas/RateLimitDto' },
  description: 'An endpoint\'s own rate limit, by "METHOD /path", applied on top of the plan\'s.',
  example: { 'POST /render': { perMinute: 10 } },
};

export class RateLimitDto implements RateLimit {
  @ApiPropertyOptional({ minimum: 1, maximum: RL.perSecond })
  @Present()
  @IsInt()
  @Min(1)
  @Max(RL.perSecond)
  perSecond?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: RL.perMinute,
    description: 'At least perSecond when both are set.',
  })
  @Present()
  @IsInt()
  @Min(1)
  @Max(RL.perMinute)
  perMinute?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: RL.perHour,
    description: 'At least perMinute (and perSecond) when both are set.',
  })
  @Present()
  @IsInt()
  @Min(1)
  @Max(RL.perHour)
  perHour?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: RL.burst,
    description:
      'Extra requests allowed above perSecond in a burst (token bucket of perSecond + burst); needs perSecond.',
  })
  @Present()
  @IsInt()
  @Min(1)
  @Max(RL.burst)
  burst?: number;
}

/** Fields shared by create and update; every one optional here (create makes `name` required). */
class PlanFieldsDto {
  @ApiPropertyOptional({ maxLength: PLAN_LIMITS.descriptionMax })
  @Present()
  @IsString()
  @MaxLength(PLAN_LIMITS.descriptionMax)
  description?: string;

  @ApiPropertyOptional({
    minimum: PLAN_LIMITS.sortOrderMin,
    maximum: PLAN_LIMITS.sortOrderMax,
    description: 'Order on the pricing page (ascending).',
  })
  @Present()
  @IsInt()
  @Min(PLAN_LIMITS.sortOrderMin)
  @Max(PLAN_LIMITS.sortOrderMax)
  sortOrder?: number;

  @ApiPropertyOptional({
    enum: VISIBILITIES,
    description: 'private: only accounts invited by email (POST …/invitations) see and subscribe to it.',
  })
  @Present()
  @IsIn(VISIBILITIES)
  visibility?: PlanVisibility;

  @ApiPropertyOptional({ description: 'New subscriptions wait for your approval.' })
  @Present()
  @IsBoolean()
  approvalRequired?: boolean;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: PLAN_LIMITS.trialDaysMax,
    description: 'Free-trial days for new subscribers (0 = none).',
  })
  @Present()
  @IsInt()
  @Min(0)
  @Max(PLAN_LIMITS.trialDaysMax)
  trialDays?: number;

  @ApiPropertyOptional(PRICE_DOC)
  @Present()
  @Parses('isMinorAmount', parseMinorAmount)
  priceAmountMinor?: number | string;

  @ApiPropertyOptional(CURRENCY_DOC)
  @Present()
  @Parses('isCurrency', parseCurrency)
  currency?: string;

  @ApiPropertyOptional({ enum: QUOTA_PERIODS })
  @Present()
  @IsIn(QUOTA_PERIODS)
  quotaPeriod?: QuotaPeriod;

  @ApiPropertyOptional(QUOTA_LIMIT_DOC)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(PLAN_LIMITS.quotaLimitMax)
  quotaLimit?: number | null;

  @ApiPropertyOptional({
    enum: QUOTA_MODES,
    description: 'hard: 429 quota_exceeded at the quota; soft: calls go on and are billed as overage.',
  })
  @Present()
  @IsIn(QUOTA_MODES)
  quotaMode?: QuotaMode;

  @ApiPropertyOptional(OVERAGE_DOC)
  @IsOptional()
  @Parses('isOveragePrice', parseOverageUnitPrice)
  overageUnitPriceMinor?: string | null;

  @ApiPropertyOptional({ type: RateLimitDto, description: "The plan's rate limit; {} = none of its own." })
  @Present()
  @IsObject()
  @ValidateNested()
  @Type(() => RateLimitDto)
  rateLimit?: RateLimitDto;

  @ApiPropertyOptional(ENDPOINTS_DOC)
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(PLAN_LIMITS.endpointKeysMax)
  @IsString({ each: true })
  @MaxLength(PLAN_LIMITS.endpointKeyLengthMax, { each: true })
  @Matches(ENDPOINT_KEY_PATTERN, { each: true, message: `each includedEndpoints entry ${ENDPOINT_KEY_RULE}` })
  includedEndpoints?: string[] | null;

  @ApiPropertyOptional(WEIGHTS_DOC)
  @Present()
  @IsObject()
  endpointWeights?: Record<string, number>;

  @ApiPropertyOptional(ENDPOINT_LIMITS_DOC)
  @Present()
  @IsObject()
  endpointRateLimits?: Record<string, RateLimit>;
}

export class CreatePlanDto extends PlanFieldsDto {
  @ApiProperty({
    minLength: 1,
    maxLength: PLAN_LIMITS.nameMax,
    example: 'Pro',
    description: "Unique among the API's active plans (BASIC, PRO, ULTRA, MEGA… or any name).",
  })
  @IsString()
  @MinLength(1)
  @MaxLength(PLAN_LIMITS.nameMax)
  name!: string;
}

/**
 * Only the fields sent change. On a plan whose listing has been published (or that has
 * subscribers), a change to its terms makes a new version: see `outcome` in the answer.
 */
export class UpdatePlanDto extends PlanFieldsDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: PLAN_LIMITS.nameMax })
  @Present()
  @IsString()
  @MinLength(1)
  @MaxLength(PLAN_LIMITS.nameMax)
  name?: string;
}

export class ListPlansQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'Also list superseded versions (history). Default false.',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  includeSuperseded?: 'true' | 'false';
}

export class InvitePlanDto {
  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: PLAN_LIMITS.invitationsPerRequest,
    description:
      'Accounts (by email, case-insensitive) who may see and subscribe to this private plan. Already invited emails are kept.',
    example: ['partner@example.com'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(PLAN_LIMITS.invitationsPerRequest)
  @IsString({ each: true })
  @MaxLength(PLAN_LIMITS.emailMax, { each: true })
  @IsEmail({}, { each: true, message: 'each emails entry must be an email address' })
  emails!: string[];
}

/** A plan as the public listing shows it (active plans the viewer may see). */
export class PublicPlanDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() description!: string;
  @ApiProperty() sortOrder!: number;
  @ApiProperty({
    type: String,
    pattern: '^\\d+$',
    description: 'Monthly price in minor units (a string: bigint).',
    example: '1999',
  })
  priceAmountMinor!: string;
  @ApiProperty({ example: 'USD' }) currency!: string;
  @ApiProperty({ description: "Digits of the currency's minor unit (USD 2, JPY 0).", example: 2 })
  currencyMinorUnits!: number;
  @ApiProperty({
    description: 'Monthly price in the major unit, exact ("19.99"; JPY "1000").',
    example: '19.99',
  })
  priceDecimal!: string;
  @ApiProperty({ description: 'Has a monthly price or bills overage.' }) paid!: boolean;
  @ApiProperty({ enum: QUOTA_PERIODS }) quotaPeriod!: QuotaPeriod;
  @ApiProperty(QUOTA_LIMIT_DOC) quotaLimit!: number | null;
  @ApiProperty({ enum: QUOTA_MODES }) quotaMode!: QuotaMode;
  @ApiProperty(OVERAGE_DOC) overageUnitPriceMinor!: string | null;
  @ApiProperty({ type: RateLimitDto }) rateLimit!: RateLimitDto;
  @ApiProperty(ENDPOINTS_DOC) includedEndpoints!: string[] | null;
  @ApiProperty(WEIGHTS_DOC) endpointWeights!: Record<string, number>;
  @ApiProperty(ENDPOINT_LIMITS_DOC) endpointRateLimits!: Record<string, RateLimit>;
  @ApiProperty({ enum: VISIBILITIES }) visibility!: PlanVisibility;
  @ApiProperty() approvalRequired!: boolean;
  @ApiProperty() trialDays!: number;

  static from(plan: PlanView): PublicPlanDto {
    return {
      id: plan.id,
      name: plan.name,
      description: plan.description,
      sortOrder: plan.sortOrder,
      priceAmountMinor: plan.priceAmountMinor,
      currency: plan.currency,
      currencyMinorUnits: plan.currencyMinorUnits,
      priceDecimal: plan.priceDecimal,
      paid: plan.paid,
      quotaPeriod: plan.quotaPeriod,
      quotaLimit: plan.quotaLimit === null ? null : Number(plan.quotaLimit),
      quotaMode: plan.quotaMode,
      overageUnitPriceMinor: plan.overageUnitPriceMinor,
      rateLimit: { ...plan.rateLimit },
      includedEndpoints: plan.includedEndpoints === null ? null : [...plan.includedEndpoints],
      endpointWeights: { ...plan.endpointWeights },
      endpointRateLimits: { ...plan.endpointRateLimits },
      visibility: plan.visibility,
      approvalRequired: plan.approvalRequired,
      trialDays: plan.trialDays,
    };
  }
}

/** A plan as its provider sees it, with its version and status. */
export class PlanDto extends PublicPlanDto {
  @ApiProperty({ format: 'uuid' }) apiId!: string;
  @ApiProperty({ format: 'uuid', description: 'Shared by every version of this plan.' }) familyId!: string;
  @ApiProperty({ minimum: 1 }) version!: number;
  @ApiProperty({
    enum: STATUSES,
    description:
      'active: subscribable; superseded: replaced by a newer version (its subscribers keep it); archived: closed to new subscribers.',
  })
  status!: PlanStatus;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) supersededByPlanId!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static override from(plan: PlanView): PlanDto {
    return {
      ...PublicPlanDto.from(plan),
      apiId: plan.apiId,
      familyId: plan.familyId,
      version: plan.version,
      status: plan.status,
      supersededByPlanId: plan.supersededByPlanId,
      createdAt: plan.createdAt.toISOString(),
      updatedAt: plan.updatedAt.toISOString(),
    };
  }
}

export class PlanChangeDto {
  @ApiProperty({
    enum: OUTCOMES,
    description:
      'unchanged: nothing differed; edited: changed in place (same id); versioned: a new version was created (new id) and the old one superseded.',
  })
  outcome!: PlanChangeOutcome;

  @ApiProperty({ type: PlanDto, description: 'The plan as it is now (the new version when versioned).' })
  plan!: PlanDto;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'When versioned: the superseded plan, kept by its subscribers.',
  })
  previousPlanId!: string | null;

  static from(change: PlanChange): PlanChangeDto {
    return {
      outcome: change.outcome,
      plan: PlanDto.from(change.plan),
      previousPlanId: change.previousPlanId,
    };
  }
}

export class PlanInvitationDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'email' }) email!: string;
  @ApiProperty() createdAt!: string;

  static from(invitation: PlanInvitation): PlanInvitationDto {
    return { id: invitation.id, email: invitation.email, createdAt: invitation.createdAt.toISOString() };
  }
}

export class CurrencyDto {
  @ApiProperty({ example: 'USD', description: 'ISO 4217 code.' }) code!: string;
  @ApiProperty({
    example: 2,
    description:
      'Digits of its minor unit (ISO 4217): amounts in minor units are divided by 10^minorUnits to show them (USD 2, JPY 0, KWD 3).',
  })
  minorUnits!: number;
}
