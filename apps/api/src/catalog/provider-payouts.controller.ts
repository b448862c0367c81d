import { ProviderOnboardingService, type OnboardingUrls } from '@app/billing';
import { IdentityEnv, type AuthenticatedSession } from '@app/identity';
import { Controller, Get, HttpCode, Post, Redirect } from '@nestjs/common';
import { ApiFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentSession } from '../http/current-session.decorator';
import { OnboardingLinkDto, PayoutsDto } from './provider.dto';

export const PAYOUTS_PAGE_PATH = '/provider/payouts';
export const ONBOARDING_REFRESH_PATH = '/v1/provider/payouts/onboarding-link/refresh';

/**
 * Payout onboarding of the signed-in provider. Stripe sends the browser back to the web UI's
 * payouts page when onboarding is done (return URL), or to the refresh route below when a link
 * expired or was already used, which mints a new link behind the session and redirects to it.
 */
@ApiTags('provider')
@Controller('v1/provider/payouts')
export class ProviderPayoutsController {
  constructor(
    private readonly onboarding: ProviderOnboardingService,
    private readonly env: IdentityEnv,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Whether the provider can be paid, and what the payment provider still needs.' })
  @ApiOkResponse({ type: PayoutsDto })
  async get(@CurrentSession() session: AuthenticatedSession): Promise<PayoutsDto> {
    return PayoutsDto.from(await this.onboarding.payouts(session.account.id));
  }

  @Post('onboarding-link')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'A fresh single-use link to Stripe-hosted payout onboarding (the first call creates the Stripe connected account). With local payments `url` is null: payouts are ready already.',
  })
  @ApiOkResponse({ type: OnboardingLinkDto })
  async onboardingLink(@CurrentSession() session: AuthenticatedSession): Promise<OnboardingLinkDto> {
    return OnboardingLinkDto.from(await this.onboarding.onboardingLink(session.account.id, this.urls()));
  }

  @Get('onboarding-link/refresh')
  @Redirect()
  @ApiOperation({
    summary:
      "Stripe's refresh URL: mints a new onboarding link and redirects the browser to it (to the payouts page when there is nothing to onboard).",
  })
  @ApiFoundResponse({ description: 'Redirect to the new onboarding link.' })
  async refresh(
    @CurrentSession() session: AuthenticatedSession,
  ): Promise<{ url: string; statusCode: number }> {
    const urls = this.urls();
    const link = await this.onboarding.onboardingLink(session.account.id, urls);
    return { url: link.url ?? urls.returnUrl, statusCode: 302 };
  }

  private urls(): OnboardingUrls {
    const base = this.env.PUBLIC_URL.replace(/\/+$/, '');
    return { returnUrl: `${base}${PAYOUTS_PAGE_PATH}`, refreshUrl: `${base}${ONBOARDING_REFRESH_PATH}` };
  }
}
