import type { AuthenticatedSession } from '@app/identity';
import { SubscriptionsService } from '@app/subscriptions';
import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentSession } from '../http/current-session.decorator';
import { UuidParam } from '../http/uuid-param.pipe';
import {
  CancelSubscriptionDto,
  ChangePlanDto,
  SubscribeDto,
  SubscribeResultDto,
  SubscriptionDto,
} from './subscriptions.dto';

const consumerOf = (session: AuthenticatedSession) => ({
  accountId: session.account.id,
  email: session.account.email,
});

/**
 * The signed-in consumer's subscriptions. Another account's subscription answers 404 exactly like
 * an unknown id.
 */
@ApiTags('subscriptions')
@Controller('v1/subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Post()
  @ApiOperation({
    summary:
      'Subscribe to a plan. Free plans are active at once; plans with trial days start trialing; approval-required and private plans wait for the provider (pending_approval); paid plans are paid through the payments adapter (local: active at once; stripe: incomplete until paid). 409 when you already have a live subscription to the API (it is named).',
  })
  @ApiCreatedResponse({ type: SubscribeResultDto })
  async subscribe(
    @CurrentSession() session: AuthenticatedSession,
    @Body() body: SubscribeDto,
  ): Promise<SubscribeResultDto> {
    return SubscribeResultDto.fromResult(
      await this.subscriptions.subscribe(consumerOf(session), body.planId),
    );
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
      "Move to another plan of the same API. The new plan's limits apply at once; the period anchor stays; proration is billing's. Plans needing approval cannot be switched to (409).",
  })
  @ApiOkResponse({ type: SubscriptionDto })
  async changePlan(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
    @Body() body: ChangePlanDto,
  ): Promise<SubscriptionDto> {
    return SubscriptionDto.from(await this.subscriptions.changePlan(consumerOf(session), id, body.planId));
  }
}
