import { IdentityEnv, type AuthenticatedSession } from '@app/identity';
import { SubscriptionsService } from '@app/subscriptions';
import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentSession } from '../http/current-session.decorator';
import { UuidParam } from '../http/uuid-param.pipe';
import {
  CancelSubscriptionDto,
  ChangePlanDto,
  CheckoutDto,
  SubscribeDto,
  SubscribeResultDto,
  SubscriptionDto,
} from './subscriptions.dto';

const consumerOf = (session: AuthenticatedSession) => ({
  accountId: session.account.id,
  email: session.account.email,
});

/** The web UI's subscription page: Stripe Checkout returns to `<PUBLIC_URL>/subscriptions/<id>?checkout=success|canceled`. */
export const SUBSCRIPTIONS_PAGE_PATH = '/subscriptions';

/**
 * The signed-in consumer's subscriptions. Another account's subscription answers 404 exactly like
 * an unknown id.
 */
@ApiTags('subscriptions')
@Controller('v1/subscriptions')
export class SubscriptionsController {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly env: IdentityEnv,
  ) {}

  @Post()
  @ApiOperation({
    summary:
      'Subscribe to a plan. Free plans are active at once; plans with trial days start trialing; approval-required and private plans wait for the provider (pending_approval); paid plans are paid through the payments adapter (local: active at once; stripe: incomplete, with `checkoutUrl` to pay at on Stripe Checkout, active once Stripe confirms the payment). 409 when you already have a live subscription to the API (it is named), or when the provider of a paid plan cannot take payments yet.',
  })
  @ApiCreatedResponse({ type: SubscribeResultDto })
  async subscribe(
    @CurrentSession() session: AuthenticatedSession,
    @Body() body: SubscribeDto,
  ): Promise<SubscribeResultDto> {
    return SubscribeResultDto.fromResult(
      await this.subscriptions.subscribe(consumerOf(session), body.planId, this.checkoutReturnUrl()),
    );
  }

  @Post(':id/checkout')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'The Stripe Checkout page of an incomplete subscription (a paid plan awaiting its first payment, e.g. after the provider approved it): the same page while Stripe keeps it. 409 in any other state.',
  })
  @ApiOkResponse({ type: CheckoutDto })
  async checkout(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
  ): Promise<CheckoutDto> {
    return {
      checkoutUrl: await this.subscriptions.resumeCheckout(consumerOf(session), id, this.checkoutReturnUrl()),
    };
  }

  @Get()
  @ApiOperation({ summary: 'Your subscriptions, newest first, in every state.' })
  @ApiOkResponse({ type: [SubscriptionDto] })
  async list(@CurrentSession() session: AuthenticatedSession): Promise<SubscriptionDto[]> {
    return (await this.subscriptions.list(session.account.id)).map((view) => SubscriptionDto.from(view));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of your subscriptions, with its current period.' })
  @ApiOkResponse({ type: SubscriptionDto })
  async get(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
  ): Promise<SubscriptionDto> {
    return SubscriptionDto.from(await this.subscriptions.get(session.account.id, id));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel now, or at the end of the current period (access continues until then).' })
  @ApiOkResponse({ type: SubscriptionDto })
  async cancel(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
    @Body() body: CancelSubscriptionDto,
  ): Promise<SubscriptionDto> {
    return SubscriptionDto.from(await this.subscriptions.cancel(session.account.id, id, body.atPeriodEnd));
  }

  @Post(':id/change-plan')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Move to another plan of the same API. The new plan's limits apply at once; the period anchor stays; proration is billing's. 409: plans needing approval, a plan priced in another currency (when either plan costs money), and with Stripe payments a move from a free to a paid plan (it needs Checkout).",
  })
  @ApiOkResponse({ type: SubscriptionDto })
  async changePlan(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
    @Body() body: ChangePlanDto,
  ): Promise<SubscriptionDto> {
    return SubscriptionDto.from(await this.subscriptions.changePlan(consumerOf(session), id, body.planId));
  }

  private checkoutReturnUrl(): string {
    return `${this.env.PUBLIC_URL.replace(/\/+$/, '')}${SUBSCRIPTIONS_PAGE_PATH}`;
  }
}
