import { ListingsService, ProxySecretsService } from '@app/catalog';
import type { AuthenticatedSession } from '@app/identity';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentSession } from '../http/current-session.decorator';
import { UuidParam } from '../http/uuid-param.pipe';
import {
  CreateListingDto,
  DeprecateListingDto,
  InviteToListingDto,
  ListingDto,
  ListingInvitationDto,
  ProxySecretDto,
  RotateProxySecretDto,
  UpdateListingDto,
} from './listings.dto';

const NOT_FOUND =
  "not_found: no API with this id belongs to your provider account (another provider's id answers the same).";

/**
 * The signed-in provider's API listings (`/v1/provider/apis`; the public catalog is `/v1/apis`).
 * Every `:id` route answers 404 for another provider's API exactly as for an unknown id.
 */
@ApiTags('provider')
@Controller('v1/provider/apis')
export class ProviderListingsController {
  constructor(
    private readonly listings: ListingsService,
    private readonly proxySecrets: ProxySecretsService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Your APIs, any status, newest first (404 until you are a provider: POST /v1/provider).',
  })
  @ApiOkResponse({ type: [ListingDto] })
  async list(@CurrentSession() session: AuthenticatedSession): Promise<ListingDto[]> {
    return (await this.listings.list(session.account.id)).map((listing) => ListingDto.from(listing));
  }

  @Post()
  @ApiOperation({
    summary:
      'Create an API listing as a draft, with its proxy secret and a free plan. Upstream URLs are checked against the SSRF policy (400 naming the field and the reason); a taken slug is 409.',
  })
  @ApiCreatedResponse({ type: ListingDto })
  async create(
    @CurrentSession() session: AuthenticatedSession,
    @Body() body: CreateListingDto,
  ): Promise<ListingDto> {
    return ListingDto.from(await this.listings.create(session.account.id, body));
  }

  @Get(':id')
  @ApiOperation({
    summary: 'One of your APIs (the credential shows its location, name and last four characters only).',
  })
  @ApiOkResponse({ type: ListingDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async get(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
  ): Promise<ListingDto> {
    return ListingDto.from(await this.listings.get(session.account.id, apiId));
  }

  @Patch(':id')
  @ApiOperation({
    summary:
      'Change an API: only the fields sent change. A retired API is final (409); the slug is permanent once published (409).',
  })
  @ApiOkResponse({ type: ListingDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async update(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
    @Body() body: UpdateListingDto,
  ): Promise<ListingDto> {
    return ListingDto.from(await this.listings.update(session.account.id, apiId, body));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Delete an API that was never published; a published one answers 409 (deprecate, then retire it).',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({ description: 'conflict: the API was published.' })
  async delete(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
  ): Promise<void> {
    await this.listings.delete(session.account.id, apiId);
  }

  @Post(':id/publish')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'draft → published (into the public catalog if public), or → pending_approval when the operator requires approval for public APIs. No OpenAPI version is needed. Illegal transitions answer 409 with allowedActions.',
  })
  @ApiOkResponse({ type: ListingDto })
  @ApiConflictResponse({
    description: 'conflict: not allowed from the current status; allowedActions lists what is.',
  })
  async publish(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
  ): Promise<ListingDto> {
    return ListingDto.from(await this.listings.publish(session.account.id, apiId));
  }

  @Post(':id/deprecate')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'published → deprecated, with a sunset date in the future and a message for consumers. It keeps serving until the sunset.',
  })
  @ApiOkResponse({ type: ListingDto })
  @ApiConflictResponse({ description: 'conflict: not allowed from the current status.' })
  async deprecate(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
    @Body() body: DeprecateListingDto,
  ): Promise<ListingDto> {
    return ListingDto.from(
      await this.listings.deprecate(session.account.id, apiId, {
        sunsetAt: new Date(body.sunsetAt),
        message: body.message,
      }),
    );
  }

  @Post(':id/retire')
  @HttpCode(200)
  @ApiOperation({
    summary: 'deprecated → retired: the gateway stops serving it and the catalog stops showing it. Final.',
  })
  @ApiOkResponse({ type: ListingDto })
  @ApiConflictResponse({ description: 'conflict: not allowed from the current status.' })
  async retire(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
  ): Promise<ListingDto> {
    return ListingDto.from(await this.listings.retire(session.account.id, apiId));
  }

  @Get(':id/proxy-secret')
  @ApiOperation({
    summary:
      'The secret the gateway sends as X-Portico-Proxy-Secret, and the previous one while a rotation grace lasts. Verify it in constant time (libs/catalog README).',
  })
  @ApiOkResponse({ type: ProxySecretDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async proxySecret(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
  ): Promise<ProxySecretDto> {
    return ProxySecretDto.from(await this.proxySecrets.show(session.account.id, apiId));
  }

  @Post(':id/proxy-secret/rotate')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'A new proxy secret; the old one stays valid for gracePeriodSeconds (default 24 h; 0 ends it now).',
  })
  @ApiOkResponse({ type: ProxySecretDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async rotateProxySecret(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
    @Body() body: RotateProxySecretDto,
  ): Promise<ProxySecretDto> {
    return ProxySecretDto.from(
      await this.proxySecrets.rotate(session.account.id, apiId, body.gracePeriodSeconds),
    );
  }

  @Get(':id/invitations')
  @ApiOperation({ summary: 'Who is invited to see this API while it is private.' })
  @ApiOkResponse({ type: [ListingInvitationDto] })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async invitations(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
  ): Promise<ListingInvitationDto[]> {
    return (await this.listings.listInvitations(session.account.id, apiId)).map((invitation) =>
      ListingInvitationDto.from(invitation),
    );
  }

  @Post(':id/invitations')
  @ApiOperation({ summary: 'Invite an account by email (it need not exist yet). 409 when already invited.' })
  @ApiCreatedResponse({ type: ListingInvitationDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async invite(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
    @Body() body: InviteToListingDto,
  ): Promise<ListingInvitationDto> {
    return ListingInvitationDto.from(await this.listings.invite(session.account.id, apiId, body.email));
  }

  @Delete(':id/invitations/:email')
  @HttpCode(204)
  @ApiOperation({ summary: 'Withdraw an invitation (the email, URL-encoded).' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: `${NOT_FOUND} Also when the email is not invited.` })
  async uninvite(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
    @Param('email') email: string,
  ): Promise<void> {
    await this.listings.uninvite(session.account.id, apiId, email);
  }
}
