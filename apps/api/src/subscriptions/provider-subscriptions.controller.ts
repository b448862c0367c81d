import type { AuthenticatedSession } from '@app/identity';
import { SubscriptionsService } from '@app/subscriptions';
import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentSession } from '../http/current-session.decorator';
import { UuidParam } from '../http/uuid-param.pipe';
import { ProviderSubscriptionsQueryDto, SubscriptionDto } from './subscriptions.dto';

/**
 * Subscriptions to the signed-in provider's APIs. A subscription to another provider's API answers
 * 404 exactly like an unknown id; an account that is not a provider gets 404 saying so.
 */
@ApiTags('provider')
@Controller('v1/provider/subscriptions')
export class ProviderSubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Get()
  @ApiOperation({
    summary: 'Subscriptions to your APIs, newest first (e.g. ?status=pending_approval to review).',
  })
  @ApiOkResponse({ type: [SubscriptionDto] })
  async list(
    @CurrentSession() session: AuthenticatedSession,
    @Query() query: ProviderSubscriptionsQueryDto,
  ): Promise<SubscriptionDto[]> {
    const views = await this.subscriptions.listForProvider(session.account.id, query.status ?? null);
    return views.map((view) => SubscriptionDto.from(view));
  }

  @Post(':id/approve')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Approve a pending subscription: it starts (trialing, active, or incomplete while payment is due).',
  })
  @ApiOkResponse({ type: SubscriptionDto })
  async approve(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
  ): Promise<SubscriptionDto> {
    return SubscriptionDto.from(await this.subscriptions.approve(session.account.id, id));
  }

  @Post(':id/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject a pending subscription: it becomes canceled.' })
  @ApiOkResponse({ type: SubscriptionDto })
  async reject(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
  ): Promise<SubscriptionDto> {
    return SubscriptionDto.from(await this.subscriptions.reject(session.account.id, id));
  }
}
