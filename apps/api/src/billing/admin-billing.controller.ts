import { Disputes, EarningsService, FeePolicy, InvoicesService, PayoutsService, ReconciliationService, RefundsService } from '@app/billing';
import { Idempotent } from '@app/common';
import type { AuthenticatedSession } from '@app/identity';
import { SubscriptionsService } from '@app/subscriptions';
import { Body, Controller, Req, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { CurrentSession } from '../http/current-session.decorator';
import { Roles } from '../http/roles.guard';
import { UuidParam } from '../http/uuid-param.pipe';
import { SubscriptionDto } from '../subscriptions/subscriptions.dto';
import {
  CreditNoteBodyDto,
  DisputeDto,
  DriftDto,
  InvoiceDto,
  ReconciliationDto,
  RefundBodyDto,
  RefundDto,
  PayoutDto,
  PeriodWindowQueryDto,
  ProviderFeeBodyDto,
  ProviderFeeDto,
  RevenueDto,
} from './billing.dto';
import { windowOf } from './period-window';

/** The operator's money routes. Admins only. */
@ApiTags('admin')
@Controller('v1/admin')
@Roles('admin')
export class AdminBillingController {
  constructor(
    private readonly fees: FeePolicy,
    private readonly earnings: EarningsService,
    private readonly payouts: PayoutsService,
    private readonly invoices: InvoicesService,
    private readonly subscriptions: SubscriptionsService,
    private readonly refunds: RefundsService,
    private readonly reconciliation: ReconciliationService,
    private readonly disputeList: Disputes,
  ) {}

  @Put('providers/:id/fee')
  @ApiOperation({
    summary:
      "Sets a provider's platform fee in basis points (null: back to PLATFORM_FEE_BPS). Applies to invoices drafted from now on and to new Stripe Checkouts.",
  })
  @ApiOkResponse({ type: ProviderFeeDto })
  @ApiNotFoundResponse({ description: 'not_found: no provider has this id.' })
  async setFee(@UuidParam('id') providerId: string, @Body() body: ProviderFeeBodyDto): Promise<ProviderFeeDto> {
    return ProviderFeeDto.from(await this.fees.setOverride(providerId, body.bps));
  }

  @Get('revenue')
  @ApiOperation({ summary: 'Platform fee income per month of billed periods, per provider and per API (from the ledger).' })
  @ApiOkResponse({ type: RevenueDto })
  async revenue(@Query() query: PeriodWindowQueryDto): Promise<RevenueDto> {
    return RevenueDto.from(await this.earnings.platformRevenue(windowOf(query)));
  }

  @Post('payouts/run')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({
    summary:
      'Runs the payout schedule now: every provider is paid their settled balance (one payout per currency, with its statement). Idempotent: what is paid out is never paid again.',
  })
  @ApiOkResponse({ type: [PayoutDto] })
  async runPayouts(): Promise<PayoutDto[]> {
    return (await this.payouts.run()).map((payout) => PayoutDto.from(payout));
  }

  @Post('invoices/:id/void')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ summary: 'Voids an open (or uncollectible) invoice, reversing its postings.' })
  @ApiOkResponse({ type: InvoiceDto })
  @ApiNotFoundResponse({ description: 'not_found: no invoice has this id.' })
  @ApiConflictResponse({ description: 'conflict: the invoice is paid or void already.' })
  async voidInvoice(@UuidParam('id') id: string): Promise<InvoiceDto> {
    return InvoiceDto.from(await this.invoices.void(id));
  }

  @Post('invoices/:id/credit-notes')
  @Idempotent()
  @ApiOperation({
    summary:
      'Issues a credit note against a paid or open invoice (never more than what is left to credit); the fee and the provider share are reversed proportionally. A paid invoice is refunded; an open one collects that much less (Stripe: a credit note on the Stripe invoice). Answered `paid` once settled, or `open` when the payment provider could not be told yet (the worker retries every minute).',
  })
  @ApiCreatedResponse({ type: InvoiceDto })
  @ApiNotFoundResponse({ description: 'not_found: no invoice has this id.' })
  @ApiConflictResponse({ description: 'conflict: over the creditable amount, a void invoice, or the provider balance cannot absorb it.' })
  async creditNote(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
    @Body() body: CreditNoteBodyDto,
    @Req() req: Request,
  ): Promise<InvoiceDto> {
    const { invoice } = await this.invoices.withLines(id);
    if (invoice.status !== 'paid')
      return InvoiceDto.from(await this.invoices.issueCreditNote(id, BigInt(body.amountMinor), body.reason));
    // a credit note on a paid invoice gives money back: it is a refund (through the payments adapter)
    const refund = await this.refunds.refundAsAdmin(id, {
      amountMinor: BigInt(body.amountMinor),
      reason: body.reason,
      initiatedBy: 'admin',
      initiatorAccountId: session.account.id,
      idempotencyKey: req.header('idempotency-key') ?? null,
    });
    return InvoiceDto.from((await this.invoices.withLines(refund.creditNoteId)).invoice);
  }

  @Post('invoices/:id/refunds')
  @Idempotent()
  @ApiOperation({
    summary:
      "Refunds (part of) a paid invoice: a credit note reverses the platform fee and the provider's share in proportion (they sum to the amount), and the payment is refunded (Stripe: reverse_transfer and refund_application_fee). Never more than the total minus earlier refunds and credit notes. With local payments, refused with 409 provider_balance_insufficient when the provider's balance cannot absorb its share.",
  })
  @ApiCreatedResponse({ type: RefundDto })
  @ApiNotFoundResponse({ description: 'not_found: no invoice has this id.' })
  @ApiConflictResponse({
    description: 'conflict: not paid, or more than is left to refund; provider_balance_insufficient (local payments).',
  })
  async refund(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
    @Body() body: RefundBodyDto,
    @Req() req: Request,
  ): Promise<RefundDto> {
    return RefundDto.from(
      await this.refunds.refundAsAdmin(id, {
        amountMinor: BigInt(body.amountMinor),
        reason: body.reason,
        initiatedBy: 'admin',
        initiatorAccountId: session.account.id,
        idempotencyKey: req.header('idempotency-key') ?? null,
      }),
    );
  }

  @Get('invoices/:id/refunds')
  @ApiOperation({ summary: 'The refunds of an invoice, oldest first.' })
  @ApiOkResponse({ type: [RefundDto] })
  async listRefunds(@UuidParam('id') id: string): Promise<RefundDto[]> {
    return (await this.refunds.listForInvoice(id)).map((r) => RefundDto.from(r));
  }

  @Get('billing/disputes')
  @ApiOperation({
    summary:
      "The latest 200 disputes of Stripe charges, newest first, with the outcome and, for a lost one, where taking the provider's share back stands (PAYMENTS=stripe; empty otherwise).",
  })
  @ApiOkResponse({ type: [DisputeDto] })
  async disputes(): Promise<DisputeDto[]> {
    return (await this.disputeList.recent(200)).map((d) => DisputeDto.from(d));
  }

  @Get('billing/drifts')
  @ApiOperation({ summary: 'Open differences between Portico and Stripe found by the reconciliation job (PAYMENTS=stripe).' })
  @ApiOkResponse({ type: [DriftDto] })
  async drifts(): Promise<DriftDto[]> {
    return (await this.reconciliation.openDrifts()).map((d) => DriftDto.from(d));
  }

  @Post('billing/reconcile')
  @HttpCode(200)
  @ApiOperation({ summary: 'Runs the Stripe reconciliation now (also hourly in the worker); a no-op with local payments.' })
  @ApiOkResponse({ type: ReconciliationDto })
  async reconcile(): Promise<ReconciliationDto> {
    return ReconciliationDto.from(await this.reconciliation.run());
  }

  @Post('test-clock/subscriptions/:id/advance')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Test mode only (PAYMENTS=local outside production, or BILLING_TEST_CLOCKS=true): advances one subscription's clock to the end of its current monthly period (like a Stripe test clock), so the period closes and is invoiced now; its next periods are anchored at this instant. 404 when test clocks are off; 409 without a running monthly period.",
  })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiNotFoundResponse({ description: 'not_found: test clocks are off, or no subscription has this id.' })
  @ApiConflictResponse({ description: 'conflict: the subscription has no running period.' })
  async advanceClock(@UuidParam('id') id: string): Promise<SubscriptionDto> {
    return SubscriptionDto.from(await this.subscriptions.advanceTestClock(id));
  }
}
