import { ProviderOnboardingService } from '@app/billing';
import { ProvidersService } from '@app/catalog';
import type { AuthenticatedSession } from '@app/identity';
import { Body, Controller, Get, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentSession } from '../http/current-session.decorator';
import { CreateProviderDto, ProviderDto, UpdateProviderDto } from './provider.dto';

/** The signed-in account's provider profile (at most one per account). */
@ApiTags('provider')
@Controller('v1/provider')
export class ProviderController {
  constructor(
    private readonly onboarding: ProviderOnboardingService,
    private readonly providers: ProvidersService,
  ) {}

  @Post()
  @ApiOperation({
    summary:
      'Become a provider. With local payments, payouts are ready at once; with Stripe, continue with POST /v1/provider/payouts/onboarding-link. 409 when the slug is taken or the account is already a provider.',
  })
  @ApiCreatedResponse({ type: ProviderDto })
  async create(
    @CurrentSession() session: AuthenticatedSession,
    @Body() body: CreateProviderDto,
  ): Promise<ProviderDto> {
    return ProviderDto.from(await this.onboarding.becomeProvider(session.account.id, body));
  }

  @Get()
  @ApiOperation({ summary: "The signed-in account's provider profile (404 until POST /v1/provider)." })
  @ApiOkResponse({ type: ProviderDto })
  async get(@CurrentSession() session: AuthenticatedSession): Promise<ProviderDto> {
    return ProviderDto.from(await this.providers.getForOwner(session.account.id));
  }

  @Patch()
  @ApiOperation({ summary: 'Change the display name, support email or website (the slug is permanent).' })
  @ApiOkResponse({ type: ProviderDto })
  async update(
    @CurrentSession() session: AuthenticatedSession,
    @Body() body: UpdateProviderDto,
  ): Promise<ProviderDto> {
    return ProviderDto.from(await this.providers.update(session.account.id, body));
  }
}
