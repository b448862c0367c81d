import { Clock, Idempotent } from '@app/common';
import { ApiKeysService, type AuthenticatedSession } from '@app/identity';
import { Body, Controller, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentSession } from '../http/current-session.decorator';
import { UuidParam } from '../http/uuid-param.pipe';
import {
  ApiKeyDto,
  CreateApiKeyDto,
  CreatedApiKeyDto,
  RotateApiKeyDto,
  RotatedApiKeyDto,
  UpdateApiKeyDto,
} from './keys.dto';

/**
 * API keys of the signed-in consumer's applications. Secrets appear only in the answers of create
 * and rotate; everything else shows the prefix and last four. Another account's key or application
 * answers 404 exactly like an unknown id.
 */
@ApiTags('keys')
@Controller('v1')
export class KeysController {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly clock: Clock,
  ) {}

  @Get('apps/:appId/keys')
  @ApiOperation({ summary: "An application's keys, revoked ones included (never their secrets)." })
  @ApiOkResponse({ type: [ApiKeyDto] })
  async list(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('appId') appId: string,
  ): Promise<ApiKeyDto[]> {
    const now = this.clock.now();
    return (await this.keys.list(session.account.id, appId)).map((key) => ApiKeyDto.from(key, now));
  }

  @Post('apps/:appId/keys')
  @Idempotent()
  @ApiOperation({ summary: 'Create a key. The answer holds the full key once; only its SHA-256 is kept.' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  async create(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('appId') appId: string,
    @Body() body: CreateApiKeyDto,
  ): Promise<CreatedApiKeyDto> {
    const created = await this.keys.create(session.account.id, appId, {
      ...body,
      expiresAt: body.expiresAt === undefined ? undefined : new Date(body.expiresAt),
    });
    return CreatedApiKeyDto.fromCreated(created, this.clock.now());
  }

  @Get('keys/:keyId')
  @ApiOperation({ summary: 'One key (never its secret).' })
  @ApiOkResponse({ type: ApiKeyDto })
  async get(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('keyId') keyId: string,
  ): Promise<ApiKeyDto> {
    return ApiKeyDto.from(await this.keys.get(session.account.id, keyId), this.clock.now());
  }

  @Patch('keys/:keyId')
  @ApiOperation({
    summary:
      "Change a key's label, scopes, IP allowlist, allowed origins or expiry. Takes effect at the gateway within seconds.",
  })
  @ApiOkResponse({ type: ApiKeyDto })
  async update(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('keyId') keyId: string,
    @Body() body: UpdateApiKeyDto,
  ): Promise<ApiKeyDto> {
    const key = await this.keys.update(session.account.id, keyId, {
      ...body,
      expiresAt:
        body.expiresAt === undefined ? undefined : body.expiresAt === null ? null : new Date(body.expiresAt),
    });
    return ApiKeyDto.from(key, this.clock.now());
  }

  @Post('keys/:keyId/rotate')
  @Idempotent()
  @ApiOperation({
    summary:
      'Issue a replacement key with the same settings. The old key keeps working for gracePeriodSeconds (0: revoked now), then is revoked.',
  })
  @ApiCreatedResponse({ type: RotatedApiKeyDto })
  async rotate(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('keyId') keyId: string,
    @Body() body: RotateApiKeyDto,
  ): Promise<RotatedApiKeyDto> {
    return RotatedApiKeyDto.fromRotated(
      await this.keys.rotate(session.account.id, keyId, body),
      this.clock.now(),
    );
  }

  @Post('keys/:keyId/revoke')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Revoke a key now (it stops working at the gateway within seconds). Revoking a revoked key changes nothing.',
  })
  @ApiOkResponse({ type: ApiKeyDto })
  async revoke(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('keyId') keyId: string,
  ): Promise<ApiKeyDto> {
    return ApiKeyDto.from(await this.keys.revoke(session.account.id, keyId), this.clock.now());
  }
}
