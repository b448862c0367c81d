import { ProvidersService } from '@app/catalog';
import { Clock } from '@app/common';
import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { LedgerService, type LedgerLeg } from '../ledger/ledger.service';
import { PaymentsPort } from '../payments/payments.port';

export interface PayoutStatementLine {
  invoiceId: string;
  invoiceNumber: string | null;
  kind: 'invoice' | 'credit_note';
  apiId: string;
  apiName: string;
  periodStart: Date;
  grossAmountMinor: string;
  feeAmountMinor: string;
  netAmountMinor: string;
}

export interface PayoutStatement {
  id: string;
  providerId: string;
  currency: string;
  amountMinor: string;
  status: 'paid';
  transferReference: string;
  paidAt: Date;
  lines: PayoutStatementLine[];
}

/**
 * SQL: invoice `i` is settled by payouts — not collected by Stripe, whose destination charge paid
 * the share with the charge (a mirrored invoice, or a credit note of one, reversed with the refund).
 * Matters when an install has both (it moved from one PAYMENTS mode to the other).
 */
const PAID_OUT_SEPARATELY = `i.stripe_invoice_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM invoices o WHERE o.id = i.credits_invoice_id AND o.stripe_invoice_id IS NOT NULL)`;

interface Settleable {
  id: string;
  number: string | null;
  kind: 'invoice' | 'credit_note';
  api_id: string;
  period_start: Date;
  total_amount_minor: string;
  fee_amount_minor: string;
  provider_share_amount_minor: string;
}

/**
 * Payouts (README "Payments and payouts"): every settled (paid) invoice and credit note of a
 * provider not yet paid out (and not collected by Stripe) becomes a statement line of one payout per currency, with the payout
 * posting (payable debited per line, clearing credited). An invoice is paid out once
 * (`uq_payout_items__invoice_id`); a run that finds nothing does nothing.
 */
@Injectable()
export class PayoutsService {
  private readonly logger = new Logger(PayoutsService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly payments: PaymentsPort,
    private readonly providers: ProvidersService,
    private readonly clock: Clock,
  ) {}

  /** Pays out every provider's settled balance now. Adapters that pay providers with each charge (stripe) have nothing to do. */
  async run(): Promise<PayoutStatement[]> {
    if (!this.payments.paysOutSeparately) return [];
    const due = await this.dataSource.query<{ provider_id: string; currency: string }[]>(
      `SELECT DISTINCT i.provider_id, i.currency FROM invoices i
       WHERE i.status = 'paid' AND NOT EXISTS (SELECT 1 FROM payout_items p WHERE p.invoice_id = i.id)
         AND ${PAID_OUT_SEPARATELY}
       ORDER BY 1, 2`,
    );
    const made: PayoutStatement[] = [];
    for (const { provider_id: providerId, currency } of due) {
      try {
        const payout = await this.payOut(providerId, currency);
        if (payout) made.push(payout);
      } catch (error) {
        this.logger.error({ err: error, providerId, currency }, 'payout failed; the next run retries');
      }
    }
    return made;
  }

  private async payOut(providerId: string, currency: string): Promise<PayoutStatement | null> {
    const payoutId = await this.dataSource.transaction(async (manager) => {
      // one payout run per provider and currency at a time
      await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`payout:${providerId}:${currency}`]);
      const items = await manager.query<Settleable[]>(
        `SELECT i.id, i.number, i.kind, i.api_id, i.period_start, i.total_amount_minor::text, i.fee_amount_minor::text,
                i.provider_share_amount_minor::text
         FROM invoices i
         WHERE i.provider_id = $1 AND i.currency = $2 AND i.status = 'paid'
           AND NOT EXISTS (SELECT 1 FROM payout_items p WHERE p.invoice_id = i.id) AND ${PAID_OUT_SEPARATELY}
         ORDER BY i.finalized_at, i.id`,
        [providerId, currency],
      );
      const amount = items.reduce((sum, item) => sum + BigInt(item.provider_share_amount_minor), 0n);
      if (items.length === 0 || amount <= 0n) return null;
      const id = randomUUID();
      const transfer = await this.payments.transferToProvider({
        payoutId: id,
        providerId,
        amountMinor: amount,
        currency,
      });
      const now = this.clock.now();
      await manager.query(
        `INSERT INTO payouts (id, provider_id, currency, amount_minor, status, transfer_reference, paid_at)
         VALUES ($1, $2, $3, $4, 'paid', $5, $6)`,
        [id, providerId, currency, amount.toString(), transfer.reference, now],
      );
      await manager.query(
        `INSERT INTO payout_items (payout_id, invoice_id, api_id, period_start, gross_amount_minor, fee_amount_minor, net_amount_minor)
         SELECT $1, u.* FROM unnest($2::uuid[], $3::uuid[], $4::timestamptz[], $5::bigint[], $6::bigint[], $7::bigint[]) AS u`,
        [
          id,
          items.map((i) => i.id),
          items.map((i) => i.api_id),
          items.map((i) => i.period_start),
          items.map((i) => i.total_amount_minor),
          items.map((i) => i.fee_amount_minor),
          items.map((i) => i.provider_share_amount_minor),
        ],
      );
      const legs: LedgerLeg[] = items.map((item) => ({
        account: 'provider_payable',
        amountMinor: BigInt(item.provider_share_amount_minor),
        currency,
        providerId,
        apiId: item.api_id,
        invoiceId: item.id,
        payoutId: id,
        periodStart: item.period_start,
      }));
      legs.push({ account: 'payment_clearing', amountMinor: -amount, currency, providerId, payoutId: id });
      await this.ledger.post(manager, {
        kind: 'payout',
        reference: `payout:${id}`,
        description: `Payout to provider ${providerId}`,
        occurredAt: now,
        legs,
      });
      this.logger.log({ payoutId: id, providerId, currency, amount: amount.toString() }, 'provider paid out');
      return id;
    });
    if (!payoutId) return null;
    return (await this.statements(providerId, payoutId))[0] ?? null;
  }

  /** The caller's payouts with their statement lines, newest first (owner-scoped by provider id). */
  async statements(providerId: string, onlyPayoutId?: string): Promise<PayoutStatement[]> {
    const payouts = await this.dataSource.query<
      { id: string; currency: string; amount_minor: string; transfer_reference: string; paid_at: Date }[]
    >(
      `SELECT id, currency, amount_minor::text, transfer_reference, paid_at FROM payouts
       WHERE provider_id = $1 AND ($2::uuid IS NULL OR id = $2) ORDER BY paid_at DESC, id LIMIT 200`,
      [providerId, onlyPayoutId ?? null],
    );
    if (payouts.length === 0) return [];
    const lines = await this.dataSource.query<
      {
        payout_id: string;
        invoice_id: string;
        number: string | null;
        kind: 'invoice' | 'credit_note';
        api_id: string;
        api_name: string | null;
        period_start: Date;
        gross: string;
        fee: string;
        net: string;
      }[]
    >(
      `SELECT p.payout_id, p.invoice_id, i.number, i.kind, p.api_id, i.parties->'api'->>'name' AS api_name, p.period_start,
              p.gross_amount_minor::text AS gross, p.fee_amount_minor::text AS fee, p.net_amount_minor::text AS net
       FROM payout_items p JOIN invoices i ON i.id = p.invoice_id
       WHERE p.payout_id = ANY($1::uuid[]) ORDER BY p.period_start, i.number`,
      [payouts.map((p) => p.id)],
    );
    return payouts.map((p) => ({
      id: p.id,
      providerId,
      currency: p.currency.trim(),
      amountMinor: p.amount_minor,
      status: 'paid' as const,
      transferReference: p.transfer_reference,
      paidAt: p.paid_at,
      lines: lines
        .filter((l) => l.payout_id === p.id)
        .map((l) => ({
          invoiceId: l.invoice_id,
          invoiceNumber: l.number,
          kind: l.kind,
          apiId: l.api_id,
          apiName: l.api_name ?? '',
          periodStart: l.period_start,
          grossAmountMinor: l.gross,
          feeAmountMinor: l.fee,
          netAmountMinor: l.net,
        })),
    }));
  }

  /** The signed-in provider's statements (404 for a non-provider). */
  async statementsForOwner(ownerAccountId: string): Promise<PayoutStatement[]> {
    const provider = await this.providers.getForOwner(ownerAccountId);
    return this.statements(provider.id);
  }
}
