import { EarningsService } from '@app/billing';
import type { AuthenticatedSession } from '@app/identity';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentSession } from '../http/current-session.decorator';
import { EarningsDto, PeriodWindowQueryDto } from './billing.dto';
import { windowOf } from './period-window';

/** The signed-in provider's earnings and payouts: only its own (scoped by the caller's provider profile). */
@ApiTags('provider')
@Controller('v1/provider/earnings')
export class ProviderEarningsController {
  constructor(private readonly earnings: EarningsService) {}

  @Get()
  @ApiOperation({
    summary:
      'Earnings per month of billed periods and per API (gross, platform fee, net, paid out, pending), totals and balance per currency, and payouts with their statements. `from`/`to` select billed periods by their start.',
  })
  @ApiOkResponse({ type: EarningsDto })
  @ApiNotFoundResponse({ description: 'not_found: this account is not a provider.' })
  async get(
    @CurrentSession() session: AuthenticatedSession,
    @Query() query: PeriodWindowQueryDto,
  ): Promise<EarningsDto> {
    return EarningsDto.from(await this.earnings.forOwner(session.account.id, windowOf(query)));
  }
}
