import { RefundsService } from '@app/billing';
import { Idempotent } from '@app/common';
import type { AuthenticatedSession } from '@app/identity';
import { Body, Controller, Req, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { CurrentSession } from '../http/current-session.decorator';
import { UuidParam } from '../http/uuid-param.pipe';
import { RefundBodyDto, RefundDto } from './billing.dto';

/** A provider refunds its own customers: only invoices of its APIs (another provider's invoice is 404 like an unknown id). */
@ApiTags('provider')
@Controller('v1/provider/invoices')
export class ProviderRefundsController {
  constructor(private readonly refunds: RefundsService) {}

  @Post(':id/refunds')
  @Idempotent()
  @ApiOperation({
    summary:
      "Refunds (part of) a paid invoice of one of your APIs: the platform fee and your share are reversed in proportion (Stripe: the share is taken back from your account, the fee given back). Never more than what is left to refund.",
  })
  @ApiCreatedResponse({ type: RefundDto })
  @ApiNotFoundResponse({ description: 'not_found: no invoice of your APIs has this id (or you are not a provider).' })
  @ApiConflictResponse({ description: 'conflict: not paid, or more than is left to refund; provider_balance_insufficient (local payments).' })
  async refund(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
    @Body() body: RefundBodyDto,
    @Req() req: Request,
  ): Promise<RefundDto> {
    return RefundDto.from(
      await this.refunds.refundAsProvider(session.account.id, id, {
        amountMinor: BigInt(body.amountMinor),
        reason: body.reason,
        initiatedBy: 'provider',
        initiatorAccountId: session.account.id,
        idempotencyKey: req.header('idempotency-key') ?? null,
      }),
    );
  }
}
