import type { AuthenticatedSession } from '@app/identity';
import { UsageControlsService } from '@app/subscriptions';
import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentSession } from '../http/current-session.decorator';
import { UuidParam } from '../http/uuid-param.pipe';
import { PutSpendCapDto, PutUsageAlertsDto, SpendCapDto, UsageAlertsDto } from './usage-controls.dto';

/**
 * Usage alerts and the overage spend cap of the signed-in consumer's subscriptions. Another
 * account's subscription answers 404 exactly like an unknown id.
 */
@ApiTags('subscriptions')
@Controller('v1/subscriptions/:id')
export class UsageControlsController {
  constructor(private readonly controls: UsageControlsService) {}

  @Get('alerts')
  @ApiOperation({ summary: "The subscription's usage alerts, and those that fired this period." })
  @ApiOkResponse({ type: UsageAlertsDto })
  async getAlerts(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
  ): Promise<UsageAlertsDto> {
    return UsageAlertsDto.from(await this.controls.getAlerts(session.account.id, id));
  }

  @Put('alerts')
  @ApiOperation({
    summary:
      'Replace the usage alerts: percentages of the period quota and/or overage amounts. Each alert fires at most once per period, as a notification, shortly after the usage that reaches it is metered.',
  })
  @ApiOkResponse({ type: UsageAlertsDto })
  async putAlerts(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
    @Body() body: PutUsageAlertsDto,
  ): Promise<UsageAlertsDto> {
    return UsageAlertsDto.from(await this.controls.putAlerts(session.account.id, id, body));
  }

  @Get('spend-cap')
  @ApiOperation({
    summary: "The subscription's overage spend cap, whether it is reached, and this period's overage so far.",
  })
  @ApiOkResponse({ type: SpendCapDto })
  async getSpendCap(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
  ): Promise<SpendCapDto> {
    return SpendCapDto.from(await this.controls.getSpendCap(session.account.id, id));
  }

  @Put('spend-cap')
  @ApiOperation({
    summary:
      "Set (minor units) or remove (null) the overage spend cap. Once this period's overage cost reaches it, live calls answer 429 spend_cap_reached until the period ends, and a notification says so; it is enforced after usage is metered, so a few calls may pass it by the metering lag (seconds). Raising or removing it restores access at once.",
  })
  @ApiOkResponse({ type: SpendCapDto })
  async putSpendCap(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
    @Body() body: PutSpendCapDto,
  ): Promise<SpendCapDto> {
    return SpendCapDto.from(await this.controls.setSpendCap(session.account.id, id, body.amountMinor));
  }
}
