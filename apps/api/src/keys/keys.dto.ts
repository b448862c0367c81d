import {
  apiKeyStatus,
  KEY_LIMITS,
  MAX_ROTATION_GRACE_SECONDS,
  maskApiKey,
  normaliseIpRule,
  normaliseOrigin,
  SCOPE_PATTERN,
  type ApiKeyEntity,
  type ApiKeyKind,
  type ApiKeyMode,
  type CreatedApiKey,
  type RotatedApiKey,
  type RuleResult,
} from '@app/identity';
import { ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
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
  ValidateBy,
  ValidateIf,
  type ValidationArguments,
} from 'class-validator';

/** Each entry of a string array passes `rule`; the message is the first entry's reason. */
function EachEntry(name: string, rule: (value: string) => RuleResult): PropertyDecorator {
  const firstProblem = (value: unknown): string | null => {
    if (!Array.isArray(value)) return null;
    for (const entry of value as unknown[]) {
      if (typeof entry !== 'string') return 'entries must be strings';
      const result = rule(entry);
      if (!result.ok) return result.reason;
    }
    return null;
  };
  return ValidateBy({
    name,
    validator: {
      validate: (value: unknown) => firstProblem(value) === null,
      defaultMessage: (args?: ValidationArguments) =>
        `${args?.property ?? name}: ${firstProblem(args?.value) ?? 'invalid entry'}`,
    },
  });
}

/** An ISO 8601 instant that lies in the future when the request is validated. */
function InTheFuture(): PropertyDecorator {
  return ValidateBy({
    name: 'inTheFuture',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || Date.parse(value) > Date.now(),
      defaultMessage: (args?: ValidationArguments) => `${args?.property ?? 'value'} must be in the future`,
    },
  });
}

/** allowedOrigins only makes sense on a publishable key (secret keys must never reach a browser). */
function OnlyForPublishableKeys(): PropertyDecorator {
  return ValidateBy({
    name: 'onlyForPublishableKeys',
    validator: {
      validate: (value: unknown, args?: ValidationArguments) =>
        !Array.isArray(value) ||
        value.length === 0 ||
        (args?.object as { kind?: string } | undefined)?.kind === 'publishable',
      defaultMessage: () =>
        'allowedOrigins is only allowed on publishable keys (kind: "publishable"); a secret key must never be used from a browser',
    },
  });
}

const defined = (_: object, value: unknown): boolean => value !== undefined;

const SCOPES_DOC: ApiPropertyOptions = {
  type: [String],
  maxItems: KEY_LIMITS.maxScopes,
  minItems: 1,
  example: ['*'],
  description:
    '"*" (every API the account subscribes to) or "api:<slug>" per API (slug: a-z, 0-9, "-", up to 64 characters).',
};
const IP_DOC: ApiPropertyOptions = {
  type: [String],
  maxItems: KEY_LIMITS.maxIpRules,
  example: ['203.0.113.0/24', '2001:db8::1'],
  description:
    'IPv4/IPv6 addresses or CIDR blocks the key may be used from; empty means anywhere. Stored normalised (single addresses become /32 or /128).',
};
const ORIGINS_DOC: ApiPropertyOptions = {
  type: [String],
  maxItems: KEY_LIMITS.maxOrigins,
  example: ['https://app.example.com'],
  description: 'Publishable keys only: browser origins (http(s)://host[:port]) the key may be used from.',
};

export class CreateApiKeyDto {
  @ApiPropertyOptional({ maxLength: KEY_LIMITS.labelMaxLength, example: 'Production backend' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(KEY_LIMITS.labelMaxLength)
  label?: string;

  @ApiPropertyOptional({ enum: ['secret', 'publishable'], default: 'secret' })
  @IsOptional()
  @IsIn(['secret', 'publishable'])
  kind?: ApiKeyKind;

  @ApiPropertyOptional({
    enum: ['live', 'test'],
    default: 'test',
    description: 'Test keys reach sandboxes and are never billed.',
  })
  @IsOptional()
  @IsIn(['live', 'test'])
  mode?: ApiKeyMode;

  @ApiPropertyOptional({ ...SCOPES_DOC, default: ['*'] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(KEY_LIMITS.maxScopes)
  @IsString({ each: true })
  @Matches(SCOPE_PATTERN, {
    each: true,
    message: 'each scope must be "*" or "api:<slug>" (slug: a-z, 0-9, "-", up to 64)',
  })
  scopes?: string[];

  @ApiPropertyOptional(IP_DOC)
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(KEY_LIMITS.maxIpRules)
  @EachEntry('isIpRule', normaliseIpRule)
  ipAllowlist?: string[];

  @ApiPropertyOptional(ORIGINS_DOC)
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(KEY_LIMITS.maxOrigins)
  @EachEntry('isOrigin', normaliseOrigin)
  @OnlyForPublishableKeys()
  allowedOrigins?: string[];

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'When the key stops working; must be in the future. Omit for no expiry.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  @InTheFuture()
  expiresAt?: string;
}

/** Only the fields sent change. */
export class UpdateApiKeyDto {
  @ApiPropertyOptional({ maxLength: KEY_LIMITS.labelMaxLength })
  @ValidateIf(defined)
  @IsString()
  @MinLength(1)
  @MaxLength(KEY_LIMITS.labelMaxLength)
  label?: string;

  @ApiPropertyOptional(SCOPES_DOC)
  @ValidateIf(defined)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(KEY_LIMITS.maxScopes)
  @IsString({ each: true })
  @Matches(SCOPE_PATTERN, {
    each: true,
    message: 'each scope must be "*" or "api:<slug>" (slug: a-z, 0-9, "-", up to 64)',
  })
  scopes?: string[];

  @ApiPropertyOptional(IP_DOC)
  @ValidateIf(defined)
  @IsArray()
  @ArrayMaxSize(KEY_LIMITS.maxIpRules)
  @EachEntry('isIpRule', normaliseIpRule)
  ipAllowlist?: string[];

  @ApiPropertyOptional(ORIGINS_DOC)
  @ValidateIf(defined)
  @IsArray()
  @ArrayMaxSize(KEY_LIMITS.maxOrigins)
  @EachEntry('isOrigin', normaliseOrigin)
  allowedOrigins?: string[];

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'A future instant, or null to remove the expiry.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  @InTheFuture()
  expiresAt?: string | null;
}

export class RotateApiKeyDto {
  @ApiPropertyOptional({
    type: Number,
    minimum: 0,
    maximum: MAX_ROTATION_GRACE_SECONDS,
    example: 3600,
    description:
      'How long the old key keeps working, in seconds; 0 revokes it now. Default: the KEY_ROTATION_DEFAULT_GRACE_SECONDS setting (24 h).',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_ROTATION_GRACE_SECONDS)
  gracePeriodSeconds?: number;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) applicationId!: string;
  @ApiProperty({ enum: ['secret', 'publishable'] }) kind!: ApiKeyKind;
  @ApiProperty({ enum: ['live', 'test'] }) mode!: ApiKeyMode;
  @ApiProperty({
    example: 'mp_test_…9xYz',
    description: 'Prefix and last four characters; the full key is never shown again.',
  })
  display!: string;
  @ApiProperty() prefix!: string;
  @ApiProperty() lastFour!: string;
  @ApiProperty() label!: string;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ type: [String] }) ipAllowlist!: string[];
  @ApiProperty({ type: [String] }) allowedOrigins!: string[];
  @ApiProperty({
    enum: ['active', 'expiring', 'rotating', 'expired', 'revoked'],
    description:
      '`rotating`: replaced by replacedByKeyId and still valid until revokedAt (the end of the grace period).',
  })
  status!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) expiresAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description:
      'Time of a recent call with this key: updated within seconds of use, at most once a minute (so up to a minute older than the latest call).',
  })
  lastUsedAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'When the key stopped (or, while rotating, will stop) working.',
  })
  revokedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) replacedByKeyId!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;

  static from(key: ApiKeyEntity, now: Date): ApiKeyDto {
    return {
      id: key.id,
      applicationId: key.applicationId,
      kind: key.kind,
      mode: key.mode,
      display: maskApiKey(key.prefix, key.lastFour),
      prefix: key.prefix,
      lastFour: key.lastFour,
      label: key.label,
      scopes: key.scopes,
      ipAllowlist: key.ipAllowlist,
      allowedOrigins: key.allowedOrigins,
      status: apiKeyStatus(key, now),
      expiresAt: key.expiresAt?.toISOString() ?? null,
      lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
      revokedAt: key.revokedAt?.toISOString() ?? null,
      replacedByKeyId: key.replacedByKeyId,
      createdAt: key.createdAt.toISOString(),
    };
  }
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The full key. Shown once: store it now; Portico keeps only its SHA-256.' })
  secret!: string;

  static fromCreated(created: CreatedApiKey, now: Date = new Date()): CreatedApiKeyDto {
    return { ...ApiKeyDto.from(created.key, now), secret: created.secret };
  }
}

export class RotatedApiKeyDto extends CreatedApiKeyDto {
  @ApiProperty({
    type: ApiKeyDto,
    description: 'The rotated key: status `rotating` until revokedAt, then `revoked`.',
  })
  previousKey!: ApiKeyDto;

  static fromRotated(rotated: RotatedApiKey, now: Date): RotatedApiKeyDto {
    return {
      ...CreatedApiKeyDto.fromCreated(rotated, now),
      previousKey: ApiKeyDto.from(rotated.previous, now),
    };
  }
}
