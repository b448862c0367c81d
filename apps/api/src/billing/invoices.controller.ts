import { InvoicesService, renderInvoiceHtml } from '@app/billing';
import type { AuthenticatedSession } from '@app/identity';
import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentSession } from '../http/current-session.decorator';
import { UuidParam } from '../http/uuid-param.pipe';
import { InvoiceDto, InvoiceQueryDto } from './billing.dto';

/** The signed-in consumer's invoices and credit notes. Another account's invoice answers 404 like an unknown id. */
@ApiTags('billing')
@Controller('v1/invoices')
export class InvoicesController {
  constructor(private readonly invoices: InvoicesService) {}

  @Get()
  @ApiOperation({ summary: 'Your invoices and credit notes (finalised ones), newest first.' })
  @ApiOkResponse({ type: [InvoiceDto] })
  async list(@CurrentSession() session: AuthenticatedSession): Promise<InvoiceDto[]> {
    const invoices = await this.invoices.listForConsumer(session.account.id);
    return invoices.filter((invoice) => invoice.status !== 'draft').map((invoice) => InvoiceDto.from(invoice));
  }

  @Get(':id')
  @ApiOperation({
    summary:
      'One of your invoices with its lines; `?format=html` answers a printable document with both parties, the lines, the fee-inclusive total and the status (print it to PDF).',
  })
  @ApiProduces('application/json', 'text/html')
  @ApiOkResponse({ type: InvoiceDto })
  @ApiNotFoundResponse({ description: 'not_found: you have no invoice with this id.' })
  async get(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
    @Query() query: InvoiceQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<InvoiceDto | string> {
    const found = await this.invoices.getForConsumer(session.account.id, id);
    if (query.format !== 'html') return InvoiceDto.from(found.invoice, found.lines);
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Disposition', `inline; filename="${found.invoice.number ?? found.invoice.id}.html"`);
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    return renderInvoiceHtml(found, { displayName: session.account.displayName, email: session.account.email });
  }
}
