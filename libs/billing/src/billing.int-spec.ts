import { SnakeNamingStrategy } from '@app/common';
import { ManualClock } from '@app/common/testing';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { InvoiceLineEntity } from './invoices/invoice-line.entity';
import { InvoiceNumberCounterEntity } from './invoices/invoice-number-counter.entity';
import { InvoiceEntity } from './invoices/invoice.entity';
import { InvoiceRepository } from './invoices/invoice.repository';
import { InvoicesService } from './invoices/invoices.service';
import { LedgerEntryEntity, LedgerTransactionEntity } from './ledger/ledger.entities';
import { LedgerService } from './ledger/ledger.service';
import { LocalPaymentsAdapter } from './payments/local-payments.adapter';

/** libs/billing's database rules on the test run's real PostgreSQL (README "Invoices", "The ledger"). */
describe('billing in PostgreSQL', () => {
  let dataSource: DataSource;
  let ledger: LedgerService;
  let repo: InvoiceRepository;
  let invoices: InvoicesService;
  // a year nobody else numbers in, so the sequence is this suite's own
  const clock = new ManualClock(new Date(`${2090 + Math.floor(Math.random() * 9)}-03-01T00:00:00Z`));

  beforeAll(async () => {
    dataSource = new DataSource({
      type: 'postgres',
      url: process.env.DATABASE_URL,
      namingStrategy: new SnakeNamingStrategy(),
      entities: [InvoiceEntity, InvoiceLineEntity, InvoiceNumberCounterEntity, LedgerTransactionEntity, LedgerEntryEntity],
      extra: { max: 12 },
    });
    Logger.overrideLogger(false);
    await dataSource.initialize();
    ledger = new LedgerService(dataSource);
    repo = new InvoiceRepository(dataSource);
    invoices = new InvoicesService(repo, ledger, new LocalPaymentsAdapter(), clock);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  const draft = (total = 1005n) =>
    repo.transaction((manager) =>
      repo.insertDraftForPeriod(
        manager,
        {
          kind: 'invoice',
          subscriptionId: randomUUID(),
          consumerAccountId: randomUUID(),
          providerId: randomUUID(),
          apiId: randomUUID(),
          planId: randomUUID(),
          periodStart: new Date('2026-01-01T00:00:00Z'),
          periodEnd: new Date('2026-02-01T00:00:00Z'),
          currency: 'USD',
          totalAmountMinor: total.toString(),
          feeBps: 2000,
          feeAmountMinor: '201',
          providerShareAmountMinor: (total - 201n).toString(),
          creditsInvoiceId: null,
          memo: null,
          parties: {
            provider: { id: randomUUID(), displayName: 'P', slug: 'p', supportEmail: 'p@example.com' },
            consumer: { accountId: randomUUID() },
            api: { id: randomUUID(), name: 'A', slug: 'a' },
            plan: { id: randomUUID(), name: 'Basic' },
          },
        },
        [
          {
            kind: 'base',
            description: 'Basic',
            planId: null,
            quantity: null,
            unitPriceMinor: null,
            amountMinor: total,
            periodStart: new Date('2026-01-01T00:00:00Z'),
            periodEnd: new Date('2026-02-01T00:00:00Z'),
          },
        ],
      ),
    );

  it('refuses to commit an unbalanced ledger transaction (deferred constraint trigger), whatever the code', async () => {
    const reference = `test:${randomUUID()}`;
    await expect(
      dataSource.transaction(async (manager) => {
        const [tx] = await manager.query<{ id: string }[]>(
          `INSERT INTO ledger_transactions (kind, reference, description, occurred_at) VALUES ('payout', $1, 'x', now()) RETURNING id`,
          [reference],
        );
        await manager.query(
          `INSERT INTO ledger_entries (transaction_id, account, amount_minor, currency) VALUES ($1, 'payment_clearing', 100, 'USD'), ($1, 'provider_payable', -99, 'USD')`,
          [tx.id],
        );
      }),
    ).rejects.toThrow(/unbalanced/);
    // balanced overall but not per currency: refused too
    await expect(
      dataSource.transaction(async (manager) => {
        const [tx] = await manager.query<{ id: string }[]>(
          `INSERT INTO ledger_transactions (kind, reference, description, occurred_at) VALUES ('payout', $1, 'x', now()) RETURNING id`,
          [`${reference}-fx`],
        );
        await manager.query(
          `INSERT INTO ledger_entries (transaction_id, account, amount_minor, currency) VALUES ($1, 'payment_clearing', 100, 'USD'), ($1, 'provider_payable', -100, 'EUR')`,
          [tx.id],
        );
      }),
    ).rejects.toThrow(/unbalanced/);
    const rows = await dataSource.query(`SELECT 1 FROM ledger_transactions WHERE reference LIKE $1`, [`${reference}%`]);
    expect(rows).toHaveLength(0);
  });

  it('commits a balanced posting once per reference, and keeps entries append-only', async () => {
    const reference = `test:${randomUUID()}`;
    const posting = {
      kind: 'payout' as const,
      reference,
      description: 'balanced',
      occurredAt: clock.now(),
      legs: [
        { account: 'payment_clearing' as const, amountMinor: 100n, currency: 'USD' },
        { account: 'provider_payable' as const, amountMinor: -100n, currency: 'USD' },
      ],
    };
    expect(await dataSource.transaction((m) => ledger.post(m, posting))).toBe(true);
    expect(await dataSource.transaction((m) => ledger.post(m, posting))).toBe(false);
    const entries = await dataSource.query<{ id: string }[]>(
      `SELECT e.id FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id WHERE t.reference = $1`,
      [reference],
    );
    expect(entries).toHaveLength(2);
    await expect(dataSource.query(`UPDATE ledger_entries SET amount_minor = 0 WHERE id = $1`, [entries[0].id])).rejects.toThrow(
      /append-only/,
    );
    await expect(dataSource.query(`DELETE FROM ledger_entries WHERE id = $1`, [entries[0].id])).rejects.toThrow(/append-only/);
    // the code refuses an unbalanced posting before the database sees it
    await expect(
      dataSource.transaction((m) => ledger.post(m, { ...posting, reference: `${reference}-bad`, legs: posting.legs.slice(0, 1) })),
    ).rejects.toThrow(/unbalanced/);
  });

  it('makes a finalised invoice and its lines immutable in the database; only status moves are allowed', async () => {
    const invoice = await draft();
    // a draft may still change
    await dataSource.query(`UPDATE invoices SET memo = 'draft note' WHERE id = $1`, [invoice.id]);
    await invoices.finalize(invoice.id);
    await expect(dataSource.query(`UPDATE invoices SET total_amount_minor = 1 WHERE id = $1`, [invoice.id])).rejects.toThrow(
      /immutable/,
    );
    await expect(dataSource.query(`UPDATE invoices SET number = 'INV-X' WHERE id = $1`, [invoice.id])).rejects.toThrow(/immutable/);
    await expect(dataSource.query(`UPDATE invoices SET status = 'draft' WHERE id = $1`, [invoice.id])).rejects.toThrow(/immutable/);
    await expect(dataSource.query(`DELETE FROM invoices WHERE id = $1`, [invoice.id])).rejects.toThrow(/cannot be deleted/);
    await expect(dataSource.query(`UPDATE invoice_lines SET amount_minor = 1 WHERE invoice_id = $1`, [invoice.id])).rejects.toThrow(
      /immutable/,
    );
    await expect(
      dataSource.query(
        `INSERT INTO invoice_lines (invoice_id, position, kind, description, amount_minor, period_start, period_end)
         VALUES ($1, 9, 'credit', 'sneaky', -5, now(), now())`,
        [invoice.id],
      ),
    ).rejects.toThrow(/immutable/);
    // the allowed move: open → paid (with the payment posting)
    const paid = await invoices.collect(invoice.id);
    expect(paid.status).toBe('paid');
    await expect(dataSource.query(`UPDATE invoices SET status = 'void' WHERE id = $1`, [invoice.id])).rejects.toThrow(/immutable/);
  });

  it('numbers invoices without gaps per year under concurrent finalisation', async () => {
    const drafts = await Promise.all(Array.from({ length: 12 }, () => draft()));
    const before = await dataSource.query<{ last_number: number }[]>(
      `SELECT last_number FROM invoice_number_counters WHERE year = $1`,
      [clock.now().getUTCFullYear()],
    );
    const start = before[0]?.last_number ?? 0;
    const finalized = await Promise.all(drafts.map((d) => invoices.finalize(d.id)));
    const sequence = finalized.map((i) => Number(i.number!.split('-')[2])).sort((a, b) => a - b);
    expect(sequence).toEqual(Array.from({ length: 12 }, (_, i) => start + i + 1));
    expect(new Set(finalized.map((i) => i.number)).size).toBe(12);
    expect(finalized[0].number).toMatch(new RegExp(`^INV-${clock.now().getUTCFullYear()}-\\d{6}$`));
    // finalising again changes nothing (no new number)
    const again = await invoices.finalize(drafts[0].id);
    expect(again.number).toBe(finalized[0].number);
  });

  it('posts a finalised and paid invoice as balanced double entries: receivable cleared, fee to revenue, share payable', async () => {
    const invoice = await draft(1005n);
    await invoices.finalize(invoice.id);
    await invoices.collect(invoice.id);
    await invoices.collect(invoice.id); // a rerun posts nothing twice
    const rows = await dataSource.query<{ account: string; total: string }[]>(
      `SELECT account, SUM(amount_minor)::text AS total FROM ledger_entries WHERE invoice_id = $1 GROUP BY account ORDER BY account`,
      [invoice.id],
    );
    expect(Object.fromEntries(rows.map((r) => [r.account, r.total]))).toEqual({
      consumer_receivable: '0',
      payment_clearing: '1005',
      platform_revenue: '-201',
      provider_payable: '-804',
    });
  });
});
