import {
  billedTo,
  canonicalDecimal,
  INVOICE_STATUSES,
  type CurrencyTotals,
  type EarningsRow,
  type InvoiceEntity,
  type InvoiceLineEntity,
  type PayoutStatement,
  type PlatformRevenue,
  type ProviderEarnings,
  type ProviderFee,
  type InvoiceStatus,
  type DisputeView,
  type DriftView,
  type ReconciliationRun,
  type RefundView,
} from '@app/billing';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';

const iso = (at: Date | null): string | null => (at === null ? null : at.toISOString());

export class InvoiceQueryDto {
  @ApiPropertyOptional({ enum: ['json', 'html'], default: 'json', description: 'html: a printable document (print it to PDF from the browser).' })
  @IsOptional()
  @IsIn(['json', 'html'], { message: 'format must be json or html' })
  format?: 'json' | 'html';
}

export class InvoiceLineDto {
  @ApiProperty({ enum: ['base', 'overage', 'proration', 'credit'] }) kind!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Units (overage lines), an integer string.' }) quantity!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Minor units per unit, exact decimal (overage lines).' })
  unitPriceMinor!: string | null;
  @ApiProperty({ description: 'Minor units (integer string), rounded once half-up.' }) amountMinor!: string;
  @ApiProperty({ type: String, format: 'date-time' }) periodStart!: string;
  @ApiProperty({ type: String, format: 'date-time' }) periodEnd!: string;

  static from(line: InvoiceLineEntity): InvoiceLineDto {
    return {
      kind: line.kind,
      description: line.description,
      quantity: line.quantity,
      unitPriceMinor: line.unitPriceMinor === null ? null : canonicalDecimal(line.unitPriceMinor),
      amountMinor: line.amountMinor,
      periodStart: line.periodStart.toISOString(),
      periodEnd: line.periodEnd.toISOString(),
    };
  }
}

export class InvoicePartyDto {
  @ApiProperty() name!: string;
  @ApiProperty() email!: string;
}

export class InvoiceDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['invoice', 'credit_note'] }) kind!: string;
  @ApiProperty({ type: String, nullable: true, description: 'INV-<year>-<000001>, gapless per year.' }) number!: string | null;
  @ApiProperty({ enum: INVOICE_STATUSES }) status!: InvoiceStatus;
  @ApiProperty({ format: 'uuid' }) subscriptionId!: string;
  @ApiProperty({ format: 'uuid' }) apiId!: string;
  @ApiProperty() apiName!: string;
  @ApiProperty() planName!: string;
  @ApiProperty({ type: InvoicePartyDto, description: 'The provider (seller).' }) provider!: InvoicePartyDto;
  @ApiProperty({
    type: InvoicePartyDto,
    nullable: true,
    description:
      'Whom it is addressed to: the consumer account’s display name and email when the invoice was drafted (null on invoices drafted before they were kept).',
  })
  billedTo!: InvoicePartyDto | null;
  @ApiProperty({ type: String, format: 'date-time' }) periodStart!: string;
  @ApiProperty({ type: String, format: 'date-time' }) periodEnd!: string;
  @ApiProperty() currency!: string;
  @ApiProperty({ description: 'Total in minor units, fees included (negative on a credit note).' }) totalAmountMinor!: string;
  @ApiProperty() feeBps!: number;
  @ApiProperty({ description: 'Of the total, the platform fee.' }) feeAmountMinor!: string;
  @ApiProperty({ description: "Of the total, the provider's share." }) providerShareAmountMinor!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) creditsInvoiceId!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finalizedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) paidAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) voidedAt!: string | null;
  @ApiPropertyOptional({ type: [InvoiceLineDto] }) lines?: InvoiceLineDto[];

  static from(invoice: InvoiceEntity, lines?: InvoiceLineEntity[]): InvoiceDto {
    const addressee = billedTo(invoice.parties);
    return {
      id: invoice.id,
      kind: invoice.kind,
      number: invoice.number,
      status: invoice.status,
      subscriptionId: invoice.subscriptionId,
      apiId: invoice.apiId,
      apiName: invoice.parties.api.name,
      planName: invoice.parties.plan.name,
      provider: { name: invoice.parties.provider.displayName, email: invoice.parties.provider.supportEmail },
      billedTo: addressee && { name: addressee.displayName, email: addressee.email },
      periodStart: invoice.periodStart.toISOString(),
      periodEnd: invoice.periodEnd.toISOString(),
      currency: invoice.currency,
      totalAmountMinor: invoice.totalAmountMinor,
      feeBps: invoice.feeBps,
      feeAmountMinor: invoice.feeAmountMinor,
      providerShareAmountMinor: invoice.providerShareAmountMinor,
      creditsInvoiceId: invoice.creditsInvoiceId,
      finalizedAt: iso(invoice.finalizedAt),
      paidAt: iso(invoice.paidAt),
      voidedAt: iso(invoice.voidedAt),
      ...(lines ? { lines: lines.map((line) => InvoiceLineDto.from(line)) } : {}),
    };
  }
}

export class PeriodWindowQueryDto {
  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Billed periods starting at or after this instant.' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO-8601 date or date-time' })
  @MaxLength(40, { message: 'from must be an ISO-8601 date or date-time' })
  from?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'Billed periods starting before this instant.' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO-8601 date or date-time' })
  @MaxLength(40, { message: 'to must be an ISO-8601 date or date-time' })
  to?: string;
}

export class EarningsRowDto {
  @ApiProperty({ description: 'Month of the billed periods (UTC), YYYY-MM.' }) period!: string;
  @ApiProperty({ format: 'uuid' }) apiId!: string;
  @ApiProperty() apiName!: string;
  @ApiProperty() currency!: string;
  @ApiProperty() grossMinor!: string;
  @ApiProperty() feeMinor!: string;
  @ApiProperty() netMinor!: string;
  @ApiProperty() paidOutMinor!: string;
  @ApiProperty() pendingMinor!: string;
}

export class CurrencyTotalsDto {
  @ApiProperty() currency!: string;
  @ApiProperty() grossMinor!: string;
  @ApiProperty() feeMinor!: string;
  @ApiProperty() netMinor!: string;
  @ApiProperty() paidOutMinor!: string;
  @ApiProperty() pendingMinor!: string;
}

export class BalanceDto {
  @ApiProperty() currency!: string;
  @ApiProperty({ description: 'What Portico owes the provider now (minor units).' }) balanceMinor!: string;
}

export class PayoutStatementLineDto {
  @ApiProperty({ format: 'uuid' }) invoiceId!: string;
  @ApiProperty({ type: String, nullable: true }) invoiceNumber!: string | null;
  @ApiProperty({ enum: ['invoice', 'credit_note'] }) kind!: string;
  @ApiProperty({ format: 'uuid' }) apiId!: string;
  @ApiProperty() apiName!: string;
  @ApiProperty({ type: String, format: 'date-time' }) periodStart!: string;
  @ApiProperty() grossAmountMinor!: string;
  @ApiProperty() feeAmountMinor!: string;
  @ApiProperty() netAmountMinor!: string;
}

export class PayoutDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) providerId!: string;
  @ApiProperty() currency!: string;
  @ApiProperty() amountMinor!: string;
  @ApiProperty({ enum: ['paid'] }) status!: string;
  @ApiProperty() transferReference!: string;
  @ApiProperty({ type: String, format: 'date-time' }) paidAt!: string;
  @ApiProperty({ type: [PayoutStatementLineDto], description: 'The statement: what this payout settles.' })
  lines!: PayoutStatementLineDto[];

  static from(payout: PayoutStatement): PayoutDto {
    return {
      ...payout,
      paidAt: payout.paidAt.toISOString(),
      lines: payout.lines.map((line) => ({ ...line, periodStart: line.periodStart.toISOString() })),
    };
  }
}

export class EarningsDto {
  @ApiProperty({ format: 'uuid' }) providerId!: string;
  @ApiProperty({ type: [EarningsRowDto] }) rows!: EarningsRowDto[];
  @ApiProperty({ type: [CurrencyTotalsDto] }) totals!: CurrencyTotalsDto[];
  @ApiProperty({ type: [BalanceDto] }) balances!: BalanceDto[];
  @ApiProperty({ type: [PayoutDto] }) payouts!: PayoutDto[];

  static from(earnings: ProviderEarnings): EarningsDto {
    return {
      providerId: earnings.providerId,
      rows: earnings.rows.map((row: EarningsRow) => ({ ...row })),
      totals: earnings.totals.map((t: CurrencyTotals) => ({ ...t })),
      balances: earnings.balances,
      payouts: earnings.payouts.map((p) => PayoutDto.from(p)),
    };
  }
}

export class RevenueAmountDto {
  @ApiProperty() currency!: string;
  @ApiProperty({ description: 'Platform fee income, minor units.' }) feeMinor!: string;
  @ApiProperty({ description: "What the payment provider took for these invoices (Stripe's processing and dispute fees), minor units." })
  paymentFeesMinor!: string;
  @ApiProperty({ description: 'feeMinor − paymentFeesMinor: what the platform keeps.' }) netMinor!: string;
}
export class RevenuePeriodDto extends RevenueAmountDto {
  @ApiProperty({ description: 'YYYY-MM (UTC) of the billed periods.' }) period!: string;
}
export class RevenueProviderDto extends RevenueAmountDto {
  @ApiProperty({ format: 'uuid' }) providerId!: string;
  @ApiProperty() providerName!: string;
}
export class RevenueApiDto extends RevenueAmountDto {
  @ApiProperty({ format: 'uuid' }) apiId!: string;
  @ApiProperty() apiName!: string;
  @ApiProperty({ format: 'uuid' }) providerId!: string;
}
export class RevenueDto {
  @ApiProperty({ type: [RevenueAmountDto] }) totals!: RevenueAmountDto[];
  @ApiProperty({ type: [RevenuePeriodDto] }) byPeriod!: RevenuePeriodDto[];
  @ApiProperty({ type: [RevenueProviderDto] }) byProvider!: RevenueProviderDto[];
  @ApiProperty({ type: [RevenueApiDto] }) byApi!: RevenueApiDto[];

  static from(revenue: PlatformRevenue): RevenueDto {
    return { ...revenue };
  }
}

export class ProviderFeeBodyDto {
  @ApiProperty({
    type: Number,
    nullable: true,
    minimum: 0,
    maximum: 10000,
    description: "The provider's platform fee in basis points (2000 = 20 %); null returns to PLATFORM_FEE_BPS.",
  })
  @ValidateIf((_o: unknown, value: unknown) => value !== null)
  @IsInt({ message: 'bps must be a whole number of basis points (0–10000) or null' })
  @Min(0, { message: 'bps must be at least 0' })
  @Max(10_000, { message: 'bps must be at most 10000' })
  bps!: number | null;
}

export class ProviderFeeDto {
  @ApiProperty({ format: 'uuid' }) providerId!: string;
  @ApiProperty({ description: 'The fee charged on this provider’s invoices.' }) feeBps!: number;
  @ApiProperty({ type: Number, nullable: true }) overrideBps!: number | null;
  @ApiProperty() platformDefaultBps!: number;

  static from(fee: ProviderFee): ProviderFeeDto {
    return { ...fee };
  }
}

export class CreditNoteBodyDto {
  @ApiProperty({ description: 'Amount to credit, positive, in minor units (integer string).', example: '250' })
  @IsString({ message: 'amountMinor must be a string of digits' })
  @Matches(/^[1-9]\d{0,17}$/, { message: 'amountMinor must be a positive whole number of minor units, e.g. "250"' })
  amountMinor!: string;

  @ApiProperty({ description: 'Why (shown on the credit note).' })
  @IsString({ message: 'reason must be a string' })
  @MinLength(3, { message: 'reason must be 3–300 characters' })
  @MaxLength(300, { message: 'reason must be 3–300 characters' })
  reason!: string;
}

export class RefundBodyDto {
  @ApiProperty({
    description:
      'Amount to refund, positive, in minor units (integer string). Never more than the invoice total minus earlier refunds and credit notes.',
    example: '250',
  })
  @IsString({ message: 'amountMinor must be a string of digits' })
  @Matches(/^[1-9]\d{0,17}$/, { message: 'amountMinor must be a positive whole number of minor units, e.g. "250"' })
  amountMinor!: string;

  @ApiProperty({ description: 'Why (shown on the credit note the refund issues).' })
  @IsString({ message: 'reason must be a string' })
  @MinLength(3, { message: 'reason must be 3–300 characters' })
  @MaxLength(300, { message: 'reason must be 3–300 characters' })
  reason!: string;
}

export class RefundDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) invoiceId!: string;
  @ApiProperty({ format: 'uuid', description: 'The credit note reversing fee and share in proportion.' }) creditNoteId!: string;
  @ApiProperty({ type: String, nullable: true }) creditNoteNumber!: string | null;
  @ApiProperty({ description: 'Refunded, minor units (integer string).' }) amountMinor!: string;
  @ApiProperty() currency!: string;
  @ApiProperty({ description: 'Of amountMinor, the platform fee given back (minor units).' }) feeAmountMinor!: string;
  @ApiProperty({ description: "Of amountMinor, the provider's share taken back (minor units); fee + share = amount." })
  providerShareAmountMinor!: string;
  @ApiProperty({ enum: ['pending', 'succeeded'], description: 'pending: recorded, the payment provider not yet confirmed (completed by the worker).' })
  status!: string;
  @ApiProperty({ enum: ['admin', 'provider', 'stripe'] }) initiatedBy!: string;
  @ApiProperty({ type: String, nullable: true, description: "The payment provider's refund (re_…), or the local reference." })
  reference!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) completedAt!: string | null;

  static from(refund: RefundView): RefundDto {
    return { ...refund, createdAt: refund.createdAt.toISOString(), completedAt: iso(refund.completedAt) };
  }
}

export class ShareReversalDto {
  @ApiProperty({ description: "The provider's share of the lost dispute taken back from its transfer (minor units)." })
  amountMinor!: string;
  @ApiProperty({ enum: ['pending', 'retrying', 'reversed'], description: 'retrying: Stripe refused (lastError); the worker tries again after 2^attempts minutes, a day at most.' })
  status!: string;
  @ApiProperty({ type: String, nullable: true, description: "Stripe's transfer reversal (trr_…)." }) reference!: string | null;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) reversedAt!: string | null;
}

export class DisputeDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() stripeDisputeId!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The invoice the disputed charge paid.' }) invoiceId!: string | null;
  @ApiProperty({ description: 'Disputed, minor units (integer string).' }) amountMinor!: string;
  @ApiProperty() currency!: string;
  @ApiProperty({ description: "Stripe's status (needs_response, under_review, won, lost, …)." }) status!: string;
  @ApiProperty({ type: String, nullable: true }) reason!: string | null;
  @ApiProperty({ type: String, nullable: true, enum: ['won', 'lost', 'warning_closed'] }) outcome!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'A lost dispute: the credit note reversing fee and share.' })
  creditNoteId!: string | null;
  @ApiProperty({ type: ShareReversalDto, nullable: true, description: "A lost dispute on a destination charge: taking the provider's share back." })
  shareReversal!: ShareReversalDto | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) closedAt!: string | null;

  static from(dispute: DisputeView): DisputeDto {
    const share = dispute.shareReversal;
    return {
      ...dispute,
      shareReversal: share && { ...share, reversedAt: iso(share.reversedAt) },
      createdAt: dispute.createdAt.toISOString(),
      closedAt: iso(dispute.closedAt),
    };
  }
}

export class DriftDto {
  @ApiProperty({ enum: ['subscription', 'invoice'] }) objectType!: string;
  @ApiProperty({ format: 'uuid' }) objectId!: string;
  @ApiProperty() stripeId!: string;
  @ApiProperty() field!: string;
  @ApiProperty() localValue!: string;
  @ApiProperty() stripeValue!: string;
  @ApiProperty({ type: String, format: 'date-time' }) detectedAt!: string;

  static from(drift: DriftView): DriftDto {
    return { ...drift, detectedAt: drift.detectedAt.toISOString() };
  }
}

export class ReconciliationDto {
  @ApiProperty() subscriptions!: number;
  @ApiProperty() invoices!: number;
  @ApiProperty({
    description:
      'Stripe subscriptions repaired so nobody is charged for what they left: canceled because Portico had ended them, or set to cancel at period end as the consumer chose.',
  })
  repaired!: number;
  @ApiProperty() failed!: number;
  @ApiProperty({ type: [DriftDto] }) drifts!: DriftDto[];

  static from(run: ReconciliationRun): ReconciliationDto {
    return { ...run, drifts: run.drifts.map((d) => DriftDto.from(d)) };
  }
}
