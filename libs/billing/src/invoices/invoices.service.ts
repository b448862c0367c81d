import { AppError, Clock, conflict, validationFailed } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { LedgerService, type LedgerLeg } from '../ledger/ledger.service';
import { splitFee } from '../money/money';
import { PaymentsPort } from '../payments/payments.port';
import type { InvoiceLineEntity } from './invoice-line.entity';
import type { InvoiceEntity } from './invoice.entity';
import { InvoiceRepository } from './invoice.repository';
import { assertMove } from './invoice-state';

export interface InvoiceWithLines {
  invoice: InvoiceEntity;
  lines: InvoiceLineEntity[];
}

function invoiceNotFound(): AppError {
  return new AppError('not_found', 'Invoice not found: you have no invoice with this id.');
}

/**
 * The fee and share a credit note of `amount` reverses after `creditedBefore` was credited already
 * (both positive; the answer is negative): cumulative rounding — fee′ = fee(credited + amount) −
 * fee(credited) — so each note's fee′ + share′ is exactly its amount, and notes summing to the
 * invoice total reverse exactly the invoice's fee and share, whatever the partition.
 */
export function reversalSplit(creditedBefore: bigint, amount: bigint, bps: number): { fee: bigint; providerShare: bigint } {
  const fee = splitFee(creditedBefore + amount, bps).fee - splitFee(creditedBefore, bps).fee;
  return { fee: -fee, providerShare: -(amount - fee) };
}

/** An amount with its platform fee and provider share (fee + share = total). */
export interface Split {
  total: bigint;
  fee: bigint;
  share: bigint;
}

function splitOf(invoice: InvoiceEntity): Split {
  return {
    total: BigInt(invoice.totalAmountMinor),
    fee: BigInt(invoice.feeAmountMinor),
    share: BigInt(invoice.providerShareAmountMinor),
  };
}

/** `INV-2026-000042`. */
export function formatInvoiceNumber(year: number, sequence: number): string {
  return `INV-${year}-${String(sequence).padStart(6, '0')}`;
}

/**
 * Invoices after drafting (README "Invoices"): finalisation (gapless number + the finalisation
 * posting), collection through the PaymentsPort (+ the payment posting), voiding, credit notes,
 * and the consumer's reads. Every step re-reads the invoice under its row lock and is a no-op when
 * already done, so a rerun of the rating job finishes what is missing and nothing twice.
 */
@Injectable()
export class InvoicesService {
  private readonly logger = new Logger(InvoicesService.name);

  constructor(
    private readonly invoices: InvoiceRepository,
    private readonly ledger: LedgerService,
    private readonly payments: PaymentsPort,
    private readonly clock: Clock,
  ) {}

  // ---- consumer -------------------------------------------------------------------------------

  listForConsumer(consumerAccountId: string): Promise<InvoiceEntity[]> {
    return this.invoices.listForConsumer(consumerAccountId);
  }

  /** One of the consumer's invoices with its lines; another account's invoice is 404 like an unknown id. Drafts are not shown. */
  async getForConsumer(consumerAccountId: string, id: string): Promise<InvoiceWithLines> {
    const invoice = await this.invoices.findForConsumer(consumerAccountId, id);
    if (!invoice || invoice.status === 'draft') throw invoiceNotFound();
    return { invoice, lines: await this.invoices.linesOf(invoice.id) };
  }

  // ---- system (rating job, admin) ---------------------------------------------------------------

  async withLines(id: string): Promise<InvoiceWithLines> {
    const invoice = await this.invoices.findById(id);
    if (!invoice) throw new AppError('not_found', 'Invoice not found: no invoice has this id.');
    return { invoice, lines: await this.invoices.linesOf(invoice.id) };
  }

  /** draft → open: number and finalisation posting, in one transaction. No-op past draft. */
  async finalize(id: string): Promise<InvoiceEntity> {
    return this.invoices.transaction((manager) => this.finalizeIn(manager, id));
  }

  /** `finalize` inside the caller's transaction. */
  async finalizeIn(manager: EntityManager, id: string): Promise<InvoiceEntity> {
    const invoice = await this.invoices.lockById(manager, id);
    if (!invoice) throw new Error(`invoice ${id} does not exist`);
    if (invoice.status !== 'draft') return invoice;
    await this.finalizeLocked(manager, invoice);
    return (await this.invoices.findById(id, manager))!;
  }

  /**
   * A destination charge paid the provider's share straight to its connected account (stripe):
   * payable +share, clearing −share (kind `payout`: it counts as paid out), the share of what was
   * collected (less the credit notes issued while it was open). Once per invoice.
   */
  async recordDestinationTransfer(manager: EntityManager, invoice: InvoiceEntity): Promise<void> {
    const { share } = await this.owed(manager, invoice);
    const dims = this.dimensions(invoice);
    await this.ledger.post(manager, {
      kind: 'payout',
      reference: `invoice:${invoice.id}:transfer`,
      description: `Share of ${invoice.number} transferred with the charge`,
      occurredAt: this.clock.now(),
      legs: [
        { ...dims, account: 'provider_payable', amountMinor: share, currency: invoice.currency },
        { ...dims, account: 'payment_clearing', amountMinor: -share, currency: invoice.currency },
      ],
    });
  }

  /**
   * A fee the payment provider took from the platform for this invoice's charge or dispute (stripe):
   * payment_fees +fee, clearing −fee, in the fee's currency (the platform balance's), once per
   * `reference`. Without an invoice (a charge Portico does not know) the legs have no dimensions.
   */
  async recordPaymentFee(
    manager: EntityManager,
    invoice: InvoiceEntity | null,
    fee: { amountMinor: bigint; currency: string },
    reference: string,
    description: string,
  ): Promise<void> {
    const dims = invoice ? this.dimensions(invoice) : {};
    await this.ledger.post(manager, {
      kind: 'payment_fee',
      reference,
      description,
      occurredAt: this.clock.now(),
      legs: [
        { ...dims, account: 'payment_fees', amountMinor: fee.amountMinor, currency: fee.currency },
        { ...dims, account: 'payment_clearing', amountMinor: -fee.amountMinor, currency: fee.currency },
      ],
    });
  }

  /**
   * open → uncollectible (dunning gave up, or the payment provider says so), writing the invoice
   * off: what was still owed reversed (its finalisation less its credit notes), since nobody was
   * paid. No-op unless open.
   */
  async markUncollectible(manager: EntityManager, id: string): Promise<InvoiceEntity> {
    const invoice = await this.invoices.lockById(manager, id);
    if (!invoice) throw new Error(`invoice ${id} does not exist`);
    if (invoice.status !== 'open') return invoice;
    await this.ledger.post(manager, {
      kind: 'write_off',
      reference: `invoice:${invoice.id}:write-off`,
      description: `Write-off of ${invoice.number}`,
      occurredAt: this.clock.now(),
      legs: this.splitLegs(invoice, await this.owed(manager, invoice), -1n),
    });
    await this.invoices.move(manager, id, 'open', 'uncollectible', this.clock.now());
    return (await this.invoices.findById(id, manager))!;
  }

  /**
   * Collects an open invoice through the PaymentsPort (local: paid now; stripe: pending until its
   * webhook). No-op unless open. A credit note's "payment" is the refund to the consumer.
   */
  async collect(id: string): Promise<InvoiceEntity> {
    const invoice = await this.invoices.findById(id);
    if (!invoice) throw new Error(`invoice ${id} does not exist`);
    if (invoice.status !== 'open') return invoice;
    if (invoice.kind === 'credit_note') return this.settleCreditNote(invoice);
    const owed = await this.owedBy(invoice.id);
    const collection = await this.payments.collectInvoice({
      invoiceId: invoice.id,
      invoiceNumber: invoice.number ?? '',
      consumerAccountId: invoice.consumerAccountId,
      providerId: invoice.providerId,
      amountMinor: owed.total,
      currency: invoice.currency,
    });
    if (collection.status === 'pending') return invoice;
    return this.markPaid(id);
  }

  /**
   * open | uncollectible → paid, with the payment posting of what was owed: the total less the
   * credit notes issued while it was open (the Stripe work calls this from `invoice.paid`).
   */
  async markPaid(id: string, manager?: EntityManager): Promise<InvoiceEntity> {
    const work = async (tx: EntityManager): Promise<InvoiceEntity> => {
      const invoice = await this.invoices.lockById(tx, id);
      if (!invoice) throw new Error(`invoice ${id} does not exist`);
      if (invoice.status === 'paid') return invoice;
      assertMove(invoice.status, 'paid');
      const now = this.clock.now();
      const { total } = await this.owed(tx, invoice);
      const dims = this.dimensions(invoice);
      await this.ledger.post(tx, {
        kind: 'invoice_paid',
        reference: `invoice:${invoice.id}:payment`,
        description: `Payment of ${invoice.number}`,
        occurredAt: now,
        legs: [
          { ...dims, account: 'payment_clearing', amountMinor: total, currency: invoice.currency },
          { ...dims, account: 'consumer_receivable', amountMinor: -total, currency: invoice.currency },
        ],
      });
      await this.invoices.move(tx, id, invoice.status, 'paid', now);
      return (await this.invoices.findById(id, tx))!;
    };
    return manager ? work(manager) : this.invoices.transaction(work);
  }

  /** Locks an invoice for a refund; another provider's invoice (when `providerId` is given) is 404 like an unknown id. */
  async lockForRefund(manager: EntityManager, id: string, providerId?: string): Promise<InvoiceEntity> {
    const invoice = await this.invoices.lockById(manager, id);
    if (!invoice || invoice.kind !== 'invoice' || (providerId !== undefined && invoice.providerId !== providerId))
      throw new AppError('not_found', 'Invoice not found: no invoice of yours has this id.');
    return invoice;
  }

  /** What is left to credit on an invoice (its total minus every credit note), inside the caller's transaction. */
  async creditableIn(manager: EntityManager, invoiceId: string): Promise<bigint> {
    const invoice = await this.getIn(manager, invoiceId);
    return BigInt(invoice.totalAmountMinor) + (await this.invoices.credited(manager, invoiceId)).total;
  }

  /** An invoice read inside the caller's transaction. */
  async getIn(manager: EntityManager, id: string): Promise<InvoiceEntity> {
    const invoice = await this.invoices.findById(id, manager);
    if (!invoice) throw new Error(`invoice ${id} does not exist`);
    return invoice;
  }

  async setPaymentReferenceIn(manager: EntityManager, id: string, reference: string): Promise<void> {
    await this.invoices.setPaymentReference(manager, id, reference);
  }

  /** A written-off (uncollectible) invoice was paid after all: its finalisation is posted again before the payment. */
  async reinstate(manager: EntityManager, id: string): Promise<void> {
    const invoice = await this.invoices.lockById(manager, id);
    if (!invoice || invoice.status !== 'uncollectible') return;
    const writtenOff = await manager.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM ledger_transactions WHERE reference = $1`,
      [`invoice:${invoice.id}:write-off`],
    );
    if (writtenOff[0].n === 0) return;
    await this.ledger.post(manager, {
      kind: 'invoice_finalized',
      reference: `invoice:${invoice.id}:reinstate`,
      description: `${invoice.number} paid after its write-off`,
      occurredAt: this.clock.now(),
      legs: this.splitLegs(invoice, await this.owed(manager, invoice)),
    });
  }

  /** Admin: open | uncollectible → void, reversing what was still owed (the finalisation less its credit notes). */
  async void(id: string): Promise<InvoiceEntity> {
    return this.invoices.transaction((manager) => this.voidIn(manager, id));
  }

  /** `void` inside the caller's transaction (an uncollectible invoice was written off already: nothing more to reverse). */
  async voidIn(manager: EntityManager, id: string): Promise<InvoiceEntity> {
    {
      const invoice = await this.invoices.lockById(manager, id);
      if (!invoice) throw new AppError('not_found', 'Invoice not found: no invoice has this id.');
      assertMove(invoice.status, 'void');
      if (invoice.status === 'uncollectible') {
        await this.invoices.move(manager, id, invoice.status, 'void', this.clock.now());
        return (await this.invoices.findById(id, manager))!;
      }
      const now = this.clock.now();
      await this.ledger.post(manager, {
        kind: 'invoice_voided',
        reference: `invoice:${invoice.id}:void`,
        description: `Void of ${invoice.number}`,
        occurredAt: now,
        legs: this.splitLegs(invoice, await this.owed(manager, invoice), -1n),
      });
      await this.invoices.move(manager, id, invoice.status, 'void', now);
      return (await this.invoices.findById(id, manager))!;
    }
  }

  /**
   * Admin: a credit note of `amountMinor` (> 0) against a paid or open invoice: never more than the
   * invoice total minus earlier credit notes, fee and share reversed proportionally with the
   * invoice's fee bps; refused when the provider's balance could not absorb its share. Finalised
   * at once (numbered), then settled: refunded (paid invoice) or deducted from what is owed (open).
   * The note is committed before the payment provider hears of it: if that fails, the note is
   * answered `open` (not settled yet) and the sweeper settles it (`settleOpenCredits`).
   */
  async issueCreditNote(invoiceId: string, amountMinor: bigint, memo: string): Promise<InvoiceEntity> {
    const note = await this.invoices.transaction((manager) =>
      this.issueCreditNoteIn(manager, invoiceId, amountMinor, memo, { checkProviderBalance: true }),
    );
    try {
      return await this.collect(note.id);
    } catch (error) {
      this.logger.warn({ err: error, creditNoteId: note.id }, 'credit note issued but not settled yet; the worker retries every minute');
      return note;
    }
  }

  /**
   * The credit note of `issueCreditNote`, drafted and finalised inside the caller's transaction
   * (the original stays locked until it commits, so concurrent notes queue and never exceed the
   * total). `checkProviderBalance: false` when the provider's share comes back with the refund
   * itself (stripe: reverse_transfer), so no balance has to absorb it.
   */
  async issueCreditNoteIn(
    manager: EntityManager,
    invoiceId: string,
    amountMinor: bigint,
    memo: string,
    options: { checkProviderBalance: boolean; providerId?: string },
  ): Promise<InvoiceEntity> {
    if (amountMinor <= 0n) throw validationFailed('amountMinor', 'must be a positive whole number of minor units');
    {
      const original = await this.invoices.lockById(manager, invoiceId);
      if (
        !original ||
        original.kind !== 'invoice' ||
        (options.providerId !== undefined && original.providerId !== options.providerId)
      )
        throw new AppError('not_found', 'Invoice not found: no invoice has this id.');
      if (original.status !== 'paid' && original.status !== 'open')
        throw conflict(`Only paid or open invoices take credit notes; this one is ${original.status}.`, {
          invoiceStatus: original.status,
        });
      const credited = -(await this.invoices.credited(manager, original.id)).total;
      const creditable = BigInt(original.totalAmountMinor) - credited;
      if (amountMinor > creditable)
        throw conflict(
          `A credit note cannot exceed what is left of the invoice: ${creditable} minor units (total ${original.totalAmountMinor}, credited ${credited}).`,
          { creditableAmountMinor: creditable.toString() },
        );
      const { fee, providerShare } = reversalSplit(credited, amountMinor, original.feeBps);
      const balance = (await this.ledger.providerBalance(original.providerId, manager)).get(original.currency) ?? 0n;
      if (options.checkProviderBalance && balance + providerShare < 0n)
        throw new AppError(
          'provider_balance_insufficient',
          "The provider's balance cannot absorb this credit note's share (it was paid out already): a refund would leave them owing money. Wait for further earnings or settle it with the provider first.",
          { providerBalanceMinor: balance.toString() },
        );
      const created = await this.invoices.insertCreditNote(
        manager,
        {
          kind: 'credit_note',
          subscriptionId: original.subscriptionId,
          consumerAccountId: original.consumerAccountId,
          providerId: original.providerId,
          apiId: original.apiId,
          planId: original.planId,
          periodStart: original.periodStart,
          periodEnd: original.periodEnd,
          currency: original.currency,
          totalAmountMinor: (-amountMinor).toString(),
          feeBps: original.feeBps,
          feeAmountMinor: fee.toString(),
          providerShareAmountMinor: providerShare.toString(),
          creditsInvoiceId: original.id,
          memo: memo.slice(0, 500),
          parties: original.parties,
        },
        [
          {
            kind: 'credit',
            description: `Credit on ${original.number}: ${memo}`.slice(0, 500),
            planId: original.planId,
            quantity: null,
            unitPriceMinor: null,
            amountMinor: -amountMinor,
            periodStart: original.periodStart,
            periodEnd: original.periodEnd,
          },
        ],
      );
      const locked = (await this.invoices.lockById(manager, created.id))!;
      await this.finalizeLocked(manager, locked, original.status === 'paid' ? 'refunds' : 'consumer_receivable');
      return (await this.invoices.findById(created.id, manager))!;
    }
  }

  /**
   * A refund was paid out (the payment provider confirmed it): `refunds` +credit, clearing −credit,
   * and with a destination charge the reversed transfer (clearing +share′, payable −share′: the
   * provider's share came back from its account). The credit note is then settled (paid). Once per note.
   */
  async settleRefund(
    manager: EntityManager,
    noteId: string,
    reverseTransfer: boolean,
    /** Where the money went back from: the platform's cash, or (a lost dispute) what Stripe held since the dispute opened. */
    paidFrom: 'payment_clearing' | 'disputes' = 'payment_clearing',
  ): Promise<InvoiceEntity> {
    const note = await this.invoices.lockById(manager, noteId);
    if (!note || note.kind !== 'credit_note') throw new Error(`credit note ${noteId} does not exist`);
    if (note.status !== 'open') return note;
    const now = this.clock.now();
    const credit = -BigInt(note.totalAmountMinor);
    const dims = this.dimensions(note);
    await this.ledger.post(manager, {
      kind: 'refund',
      reference: `invoice:${note.id}:refund`,
      description: paidFrom === 'disputes' ? `Lost dispute settled by credit note ${note.number}` : `Refund of credit note ${note.number}`,
      occurredAt: now,
      legs: [
        { ...dims, account: 'refunds', amountMinor: credit, currency: note.currency },
        { ...dims, account: paidFrom, amountMinor: -credit, currency: note.currency },
      ],
    });
    if (reverseTransfer) {
      // the note's share is negative: the provider returns −share′
      const returned = -BigInt(note.providerShareAmountMinor);
      await this.ledger.post(manager, {
        kind: 'payout',
        reference: `invoice:${note.id}:transfer-reversal`,
        description: `Transfer reversed for credit note ${note.number}`,
        occurredAt: now,
        legs: [
          { ...dims, account: 'payment_clearing', amountMinor: returned, currency: note.currency },
          { ...dims, account: 'provider_payable', amountMinor: -returned, currency: note.currency },
        ],
      });
    }
    await this.invoices.move(manager, note.id, 'open', 'paid', now);
    return (await this.invoices.findById(note.id, manager))!;
  }

  // ---- internals ------------------------------------------------------------------------------

  private dimensions(invoice: InvoiceEntity): Omit<LedgerLeg, 'account' | 'amountMinor' | 'currency'> {
    return {
      providerId: invoice.providerId,
      consumerAccountId: invoice.consumerAccountId,
      apiId: invoice.apiId,
      invoiceId: invoice.id,
      periodStart: invoice.periodStart,
    };
  }

  /** `owed` of an invoice by id (reconciliation compares it with what Stripe has left to collect). */
  async owedBy(invoiceId: string): Promise<Split> {
    return this.invoices.transaction(async (manager) => this.owed(manager, await this.getIn(manager, invoiceId)));
  }

  /**
   * What an invoice still settles: its total, fee and share less the credit notes issued while it
   * was open (those lowered the receivable at once; notes on a paid invoice are refunds).
   */
  private async owed(manager: EntityManager, invoice: InvoiceEntity): Promise<Split> {
    const credited = await this.invoices.credited(manager, invoice.id, 'issued_while_open');
    return {
      total: BigInt(invoice.totalAmountMinor) + credited.total,
      fee: BigInt(invoice.feeAmountMinor) + credited.fee,
      share: BigInt(invoice.providerShareAmountMinor) + credited.share,
    };
  }

  /** receivable (or refunds for a credit note on a paid invoice) +total; revenue −fee; payable −share; `sign` −1 reverses them. */
  private splitLegs(
    invoice: InvoiceEntity,
    split: Split,
    sign: 1n | -1n = 1n,
    counterAccount: 'consumer_receivable' | 'refunds' = 'consumer_receivable',
  ): LedgerLeg[] {
    const dims = this.dimensions(invoice);
    const currency = invoice.currency;
    return [
      { ...dims, account: counterAccount, amountMinor: sign * split.total, currency },
      { ...dims, account: 'platform_revenue', amountMinor: -sign * split.fee, currency },
      { ...dims, account: 'provider_payable', amountMinor: -sign * split.share, currency },
    ];
  }

  private async finalizeLocked(
    manager: EntityManager,
    invoice: InvoiceEntity,
    counterAccount: 'consumer_receivable' | 'refunds' = 'consumer_receivable',
  ): Promise<void> {
    const now = this.clock.now();
    const year = now.getUTCFullYear();
    const number = formatInvoiceNumber(year, await this.invoices.nextNumber(manager, year));
    await this.ledger.post(manager, {
      kind: invoice.kind === 'credit_note' ? 'credit_note' : 'invoice_finalized',
      reference: `invoice:${invoice.id}:finalize`,
      description: `${invoice.kind === 'credit_note' ? 'Credit note' : 'Invoice'} ${number}`,
      occurredAt: now,
      legs: this.splitLegs(invoice, splitOf(invoice), 1n, counterAccount),
    });
    await this.invoices.finalize(manager, invoice.id, number, now);
    this.logger.log({ invoiceId: invoice.id, number, total: invoice.totalAmountMinor }, 'invoice finalised');
  }

  /**
   * A finalised credit note settles at once. On an open invoice it lowered the receivable at its
   * finalisation; the payment provider is told to collect that much less (stripe: a credit note on
   * the Stripe invoice, key `portico:credit-note:<noteId>`), and its reference kept on the note. On
   * a paid invoice the refund is paid back out of clearing (`refunds` +credit, clearing −credit).
   * Either way the note is then `paid` (settled). A failure leaves it open for the sweeper
   * (`settleOpenCredits`), which sends the same request again.
   */
  private async settleCreditNote(note: InvoiceEntity): Promise<InvoiceEntity> {
    const whileOpen = await this.invoices.transaction((manager) => this.invoices.issuedWhileOpen(manager, note.id));
    let reference: string | null = null;
    const original = whileOpen && note.creditsInvoiceId ? await this.invoices.findById(note.creditsInvoiceId) : null;
    if (original) {
      ({ reference } = await this.payments.creditOpenInvoice({
        creditNoteId: note.id,
        invoiceId: original.id,
        providerInvoiceId: original.stripeInvoiceId,
        amountMinor: -BigInt(note.totalAmountMinor),
        currency: note.currency,
        memo: note.memo,
      }));
    }
    return this.invoices.transaction(async (manager) => {
      const locked = await this.invoices.lockById(manager, note.id);
      if (!locked || locked.status !== 'open') return locked ?? note;
      const now = this.clock.now();
      if (!whileOpen) {
        const credit = -BigInt(locked.totalAmountMinor);
        const dims = this.dimensions(locked);
        await this.ledger.post(manager, {
          kind: 'refund',
          reference: `invoice:${locked.id}:refund`,
          description: `Refund of credit note ${locked.number}`,
          occurredAt: now,
          legs: [
            { ...dims, account: 'refunds', amountMinor: credit, currency: locked.currency },
            { ...dims, account: 'payment_clearing', amountMinor: -credit, currency: locked.currency },
          ],
        });
      }
      if (reference) await this.invoices.setPaymentReference(manager, locked.id, reference);
      await this.invoices.move(manager, locked.id, 'open', 'paid', now);
      return (await this.invoices.findById(locked.id, manager))!;
    });
  }

  /**
   * The sweeper (`billing.complete-refunds`): credit notes of open invoices still unsettled after
   * `olderThanMs` (the payment provider failed or the process stopped in between) are settled again.
   */
  async settleOpenCredits(now: Date = this.clock.now(), olderThanMs = 60_000): Promise<number> {
    let settled = 0;
    for (const id of await this.invoices.unsettledCreditsOfOpenInvoices(new Date(now.getTime() - olderThanMs), 100)) {
      try {
        if ((await this.collect(id)).status === 'paid') settled += 1;
      } catch (error) {
        this.logger.error({ err: error, creditNoteId: id }, 'credit note of an open invoice could not be settled; the next run retries');
      }
    }
    return settled;
  }
}
