import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { RatedLine } from '../rating/rating';
import { InvoiceLineEntity } from './invoice-line.entity';
import { InvoiceEntity, type InvoiceStatus } from './invoice.entity';

export type NewInvoice = Omit<
  InvoiceEntity,
  | 'id'
  | 'number'
  | 'status'
  | 'finalizedAt'
  | 'paidAt'
  | 'voidedAt'
  | 'createdAt'
  | 'updatedAt'
  | 'stripeInvoiceId'
  | 'paymentReference'
> &
  Partial<Pick<InvoiceEntity, 'stripeInvoiceId' | 'paymentReference'>>;

/**
 * SQL: credit note `n` was issued while its invoice was open — its finalisation lowered the
 * receivable (a note on a paid invoice posts to refunds instead and is settled by its refund).
 */
const ISSUED_WHILE_OPEN = `EXISTS (SELECT 1 FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id
  WHERE t.reference = 'invoice:' || n.id || ':finalize' AND e.account = 'consumer_receivable')`;

/** `invoices`, `invoice_lines` and the yearly number counters. Consumer reads take the consumer's account id. */
@Injectable()
export class InvoiceRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  private invoices(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(InvoiceEntity);
  }

  private lines(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(InvoiceLineEntity);
  }

  /**
   * Inserts a draft with its lines unless the period's invoice exists (`uq_invoices__subscription_period`);
   * answers the period's invoice either way.
   */
  async insertDraftForPeriod(manager: EntityManager, invoice: NewInvoice, lines: RatedLine[]): Promise<InvoiceEntity> {
    const inserted = await manager.query<{ id: string }[]>(
      `INSERT INTO invoices (kind, status, subscription_id, consumer_account_id, provider_id, api_id, plan_id,
         period_start, period_end, currency, total_amount_minor, fee_bps, fee_amount_minor,
         provider_share_amount_minor, credits_invoice_id, memo, parties, stripe_invoice_id)
       VALUES ('invoice', 'draft', $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, $13, $14, $15)
       ON CONFLICT (subscription_id, period_start) WHERE kind = 'invoice' DO NOTHING RETURNING id`,
      [
        invoice.subscriptionId,
        invoice.consumerAccountId,
        invoice.providerId,
        invoice.apiId,
        invoice.planId,
        invoice.periodStart,
        invoice.periodEnd,
        invoice.currency,
        invoice.totalAmountMinor,
        invoice.feeBps,
        invoice.feeAmountMinor,
        invoice.providerShareAmountMinor,
        invoice.memo,
        JSON.stringify(invoice.parties),
        invoice.stripeInvoiceId ?? null,
      ],
    );
    if (inserted.length > 0) await this.insertLines(manager, inserted[0].id, lines);
    const found = await this.findForPeriod(invoice.subscriptionId, invoice.periodStart, manager);
    if (!found) throw new Error('the period invoice vanished after insert');
    return found;
  }

  /** Inserts a draft credit note with its lines. */
  async insertCreditNote(manager: EntityManager, invoice: NewInvoice, lines: RatedLine[]): Promise<InvoiceEntity> {
    const repo = this.invoices(manager);
    const saved = await repo.save(repo.create({ ...invoice, kind: 'credit_note', status: 'draft', number: null }));
    await this.insertLines(manager, saved.id, lines);
    return saved;
  }

  private async insertLines(manager: EntityManager, invoiceId: string, lines: RatedLine[]): Promise<void> {
    const repo = this.lines(manager);
    await repo.insert(
      lines.map((line, index) => ({
        invoiceId,
        position: index + 1,
        kind: line.kind,
        description: line.description.slice(0, 500),
        planId: line.planId,
        quantity: line.quantity,
        unitPriceMinor: line.unitPriceMinor,
        amountMinor: line.amountMinor.toString(),
        periodStart: line.periodStart,
        periodEnd: line.periodEnd,
      })),
    );
  }

  findForPeriod(subscriptionId: string, periodStart: Date, manager?: EntityManager): Promise<InvoiceEntity | null> {
    return this.invoices(manager).findOne({ where: { subscriptionId, periodStart, kind: 'invoice' } });
  }

  findById(id: string, manager?: EntityManager): Promise<InvoiceEntity | null> {
    return this.invoices(manager).findOneBy({ id });
  }

  lockById(manager: EntityManager, id: string): Promise<InvoiceEntity | null> {
    return this.invoices(manager).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  findForConsumer(consumerAccountId: string, id: string): Promise<InvoiceEntity | null> {
    return this.invoices().findOne({ where: { id, consumerAccountId } });
  }

  listForConsumer(consumerAccountId: string, limit = 200): Promise<InvoiceEntity[]> {
    return this.invoices().find({
      where: { consumerAccountId },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: limit,
    });
  }

  linesOf(invoiceId: string): Promise<InvoiceLineEntity[]> {
    return this.lines().find({ where: { invoiceId }, order: { position: 'ASC' } });
  }

  /** The next number of `year`, under the counter row's lock until the caller's transaction ends (gapless). */
  async nextNumber(manager: EntityManager, year: number): Promise<number> {
    const rows = await manager.query<{ last_number: number }[]>(
      `INSERT INTO invoice_number_counters (year, last_number) VALUES ($1, 1)
       ON CONFLICT (year) DO UPDATE SET last_number = invoice_number_counters.last_number + 1
       RETURNING last_number`,
      [year],
    );
    return rows[0].last_number;
  }

  async finalize(manager: EntityManager, id: string, number: string, at: Date): Promise<void> {
    await this.invoices(manager).update({ id, status: 'draft' }, { status: 'open', number, finalizedAt: at });
  }

  async move(manager: EntityManager, id: string, from: InvoiceStatus, to: InvoiceStatus, at: Date): Promise<boolean> {
    const result = await this.invoices(manager).update(
      { id, status: from },
      { status: to, ...(to === 'paid' ? { paidAt: at } : {}), ...(to === 'void' ? { voidedAt: at } : {}) },
    );
    return (result.affected ?? 0) > 0;
  }

  findByStripeInvoiceId(stripeInvoiceId: string, manager?: EntityManager): Promise<InvoiceEntity | null> {
    return this.invoices(manager).findOne({ where: { stripeInvoiceId } });
  }

  findByPaymentReference(paymentReference: string, manager?: EntityManager): Promise<InvoiceEntity | null> {
    return this.invoices(manager).findOne({ where: { paymentReference, kind: 'invoice' } });
  }

  /** Records how the invoice was paid (not part of the immutable document). */
  async setPaymentReference(manager: EntityManager, id: string, reference: string): Promise<void> {
    await this.invoices(manager).update({ id }, { paymentReference: reference });
  }

  /** The sums of an invoice's credit notes (negative: total, fee, share), all of them or only those issued while it was open. */
  async credited(
    manager: EntityManager,
    invoiceId: string,
    which: 'all' | 'issued_while_open' = 'all',
  ): Promise<{ total: bigint; fee: bigint; share: bigint }> {
    const rows = await manager.query<{ total: string | null; fee: string | null; share: string | null }[]>(
      `SELECT SUM(n.total_amount_minor)::text AS total, SUM(n.fee_amount_minor)::text AS fee,
         SUM(n.provider_share_amount_minor)::text AS share
       FROM invoices n
       WHERE n.credits_invoice_id = $1 AND n.kind = 'credit_note' AND n.status <> 'void'
       ${which === 'issued_while_open' ? `AND ${ISSUED_WHILE_OPEN}` : ''}`,
      [invoiceId],
    );
    return { total: BigInt(rows[0]?.total ?? '0'), fee: BigInt(rows[0]?.fee ?? '0'), share: BigInt(rows[0]?.share ?? '0') };
  }

  /** Whether credit note `id` was issued while its invoice was open (else on a paid one: a refund). */
  async issuedWhileOpen(manager: EntityManager, id: string): Promise<boolean> {
    const rows = await manager.query<{ yes: boolean }[]>(`SELECT ${ISSUED_WHILE_OPEN} AS yes FROM invoices n WHERE n.id = $1`, [id]);
    return rows[0]?.yes === true;
  }

  /** Credit notes issued on open invoices, finalised before `before` and still not settled (oldest first). */
  async unsettledCreditsOfOpenInvoices(before: Date, limit: number): Promise<string[]> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT n.id FROM invoices n
       WHERE n.kind = 'credit_note' AND n.status = 'open' AND n.finalized_at < $1 AND ${ISSUED_WHILE_OPEN}
       ORDER BY n.finalized_at LIMIT $2`,
      [before, limit],
    );
    return rows.map((r) => r.id);
  }
}
