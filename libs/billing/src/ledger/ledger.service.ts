import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { LedgerAccount, LedgerTransactionKind } from './ledger.entities';

/** One leg of a posting: debit positive, credit negative, with the dimensions reports group by. */
export interface LedgerLeg {
  account: LedgerAccount;
  amountMinor: bigint;
  currency: string;
  providerId?: string | null;
  consumerAccountId?: string | null;
  apiId?: string | null;
  invoiceId?: string | null;
  payoutId?: string | null;
  periodStart?: Date | null;
}

export interface Posting {
  kind: LedgerTransactionKind;
  /** Exactly-once key (`invoice:<id>:finalize`, `payout:<id>`): a second post with it is a no-op. */
  reference: string;
  description: string;
  occurredAt: Date;
  legs: LedgerLeg[];
}

export interface AccountBalance {
  account: LedgerAccount;
  currency: string;
  /** Σ amount (debit positive). */
  balanceMinor: bigint;
}

/** Throws unless the legs sum to zero per currency (the database checks the same at commit). */
export function assertBalanced(legs: readonly LedgerLeg[]): void {
  const sums = new Map<string, bigint>();
  for (const leg of legs) sums.set(leg.currency, (sums.get(leg.currency) ?? 0n) + leg.amountMinor);
  for (const [currency, sum] of sums)
    if (sum !== 0n) throw new Error(`unbalanced ledger posting: ${currency} legs sum to ${sum}`);
}

/**
 * The double-entry ledger (README "The ledger"). Postings are written only here, inside the
 * caller's transaction; balances and reports are queries over the entries.
 */
@Injectable()
export class LedgerService {
  constructor(private readonly dataSource: DataSource) {}

  /** Posts once per reference; false when the reference was posted before (nothing written). */
  async post(manager: EntityManager, posting: Posting): Promise<boolean> {
    assertBalanced(posting.legs);
    const rows = await manager.query<{ id: string }[]>(
      `INSERT INTO ledger_transactions (kind, reference, description, occurred_at)
       VALUES ($1, $2, $3, $4) ON CONFLICT (reference) DO NOTHING RETURNING id`,
      [posting.kind, posting.reference, posting.description.slice(0, 500), posting.occurredAt],
    );
    if (rows.length === 0) return false;
    const legs = posting.legs.filter((leg) => leg.amountMinor !== 0n);
    if (legs.length === 0) return true;
    await manager.query(
      `INSERT INTO ledger_entries (transaction_id, account, amount_minor, currency, provider_id,
         consumer_account_id, api_id, invoice_id, payout_id, period_start)
       SELECT $1::uuid, u.* FROM unnest($2::varchar[], $3::bigint[], $4::char(3)[], $5::uuid[], $6::uuid[],
         $7::uuid[], $8::uuid[], $9::uuid[], $10::timestamptz[]) AS u`,
      [
        rows[0].id,
        legs.map((l) => l.account),
        legs.map((l) => l.amountMinor.toString()),
        legs.map((l) => l.currency),
        legs.map((l) => l.providerId ?? null),
        legs.map((l) => l.consumerAccountId ?? null),
        legs.map((l) => l.apiId ?? null),
        legs.map((l) => l.invoiceId ?? null),
        legs.map((l) => l.payoutId ?? null),
        legs.map((l) => l.periodStart ?? null),
      ],
    );
    return true;
  }

  /** Balances per account and currency, optionally of one provider's or one consumer's legs. */
  /** Σ of `account` in the transaction `reference` (0 when there is none), inside the caller's transaction. */
  async amountOf(manager: EntityManager, reference: string, account: LedgerAccount): Promise<{ posted: boolean; amountMinor: bigint }> {
    const rows = await manager.query<{ amount: string | null }[]>(
      `SELECT (SELECT SUM(e.amount_minor) FROM ledger_entries e WHERE e.transaction_id = t.id AND e.account = $2)::text AS amount
       FROM ledger_transactions t WHERE t.reference = $1`,
      [reference, account],
    );
    return rows.length === 0 ? { posted: false, amountMinor: 0n } : { posted: true, amountMinor: BigInt(rows[0].amount ?? '0') };
  }

  async balances(filter: { providerId?: string; consumerAccountId?: string } = {}): Promise<AccountBalance[]> {
    const rows = await this.dataSource.query<{ account: LedgerAccount; currency: string; balance: string }[]>(
      `SELECT account, currency, SUM(amount_minor)::text AS balance FROM ledger_entries
       WHERE ($1::uuid IS NULL OR provider_id = $1) AND ($2::uuid IS NULL OR consumer_account_id = $2)
       GROUP BY account, currency ORDER BY account, currency`,
      [filter.providerId ?? null, filter.consumerAccountId ?? null],
    );
    return rows.map((r) => ({ account: r.account, currency: r.currency, balanceMinor: BigInt(r.balance) }));
  }

  /** What Portico owes the provider, per currency (−Σ provider_payable). */
  async providerBalance(providerId: string, manager?: EntityManager): Promise<Map<string, bigint>> {
    const rows = await (manager ?? this.dataSource.manager).query<{ currency: string; balance: string }[]>(
      `SELECT currency, (-SUM(amount_minor))::text AS balance FROM ledger_entries
       WHERE account = 'provider_payable' AND provider_id = $1 GROUP BY currency`,
      [providerId],
    );
    return new Map(rows.map((r) => [r.currency, BigInt(r.balance)]));
  }

  /** Fee income, per currency (−Σ platform_revenue). */
  async platformRevenue(): Promise<Map<string, bigint>> {
    const rows = await this.dataSource.query<{ currency: string; balance: string }[]>(
      `SELECT currency, (-SUM(amount_minor))::text AS balance FROM ledger_entries
       WHERE account = 'platform_revenue' GROUP BY currency`,
    );
    return new Map(rows.map((r) => [r.currency, BigInt(r.balance)]));
  }
}
