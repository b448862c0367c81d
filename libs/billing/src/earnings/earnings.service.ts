import { ProvidersService } from '@app/catalog';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PayoutsService, type PayoutStatement } from '../payouts/payouts.service';

/** A window over billed periods: `from` inclusive, `to` exclusive (period starts), either open. */
export interface PeriodWindow {
  from?: Date;
  to?: Date;
}

/** One row of the provider's earnings: a month of billed periods (UTC, `YYYY-MM`) × API × currency. */
export interface EarningsRow {
  period: string;
  apiId: string;
  apiName: string;
  currency: string;
  grossMinor: string;
  feeMinor: string;
  netMinor: string;
  paidOutMinor: string;
  pendingMinor: string;
}

export interface CurrencyTotals {
  currency: string;
  grossMinor: string;
  feeMinor: string;
  netMinor: string;
  paidOutMinor: string;
  pendingMinor: string;
}

export interface ProviderEarnings {
  providerId: string;
  rows: EarningsRow[];
  totals: CurrencyTotals[];
  /** What Portico owes the provider now, per currency (the ledger balance, whatever the window). */
  balances: { currency: string; balanceMinor: string }[];
  payouts: PayoutStatement[];
}

export interface RevenueRow {
  currency: string;
  /** Platform fee income. */
  feeMinor: string;
  /** What the payment provider took (Stripe's processing and dispute fees), in this currency. */
  paymentFeesMinor: string;
  /** feeMinor − paymentFeesMinor. */
  netMinor: string;
}

export interface PlatformRevenue {
  totals: RevenueRow[];
  byPeriod: (RevenueRow & { period: string })[];
  byProvider: (RevenueRow & { providerId: string; providerName: string })[];
  byApi: (RevenueRow & { apiId: string; apiName: string; providerId: string })[];
}

interface RawEarnings {
  period: string;
  api_id: string;
  api_name: string | null;
  currency: string;
  fee: string;
  net: string;
  paid_out: string;
}

/**
 * Reports over the ledger (README "The ledger"): entries carry the billed period's start, the API
 * and the provider, so earnings and revenue are GROUP BYs. `from`/`to` select billed periods by
 * their start.
 */
@Injectable()
export class EarningsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly providers: ProvidersService,
    private readonly payouts: PayoutsService,
  ) {}

  /** The signed-in provider's earnings (another provider's are unreachable: scoped by the caller's provider). */
  async forOwner(ownerAccountId: string, window: PeriodWindow): Promise<ProviderEarnings> {
    const provider = await this.providers.getForOwner(ownerAccountId);
    return this.forProvider(provider.id, window);
  }

  async forProvider(providerId: string, window: PeriodWindow): Promise<ProviderEarnings> {
    const raw = await this.dataSource.query<RawEarnings[]>(
      `SELECT to_char(e.period_start AT TIME ZONE 'UTC', 'YYYY-MM') AS period, e.api_id, e.currency,
              MAX(i.parties->'api'->>'name') AS api_name,
              COALESCE(-SUM(e.amount_minor) FILTER (WHERE e.account = 'platform_revenue'), 0)::text AS fee,
              COALESCE(-SUM(e.amount_minor) FILTER (WHERE e.account = 'provider_payable' AND t.kind <> 'payout'), 0)::text AS net,
              COALESCE(SUM(e.amount_minor) FILTER (WHERE e.account = 'provider_payable' AND t.kind = 'payout'), 0)::text AS paid_out
       FROM ledger_entries e
       JOIN ledger_transactions t ON t.id = e.transaction_id
       LEFT JOIN invoices i ON i.id = e.invoice_id
       WHERE e.provider_id = $1 AND e.account IN ('platform_revenue', 'provider_payable') AND e.api_id IS NOT NULL
         AND ($2::timestamptz IS NULL OR e.period_start >= $2) AND ($3::timestamptz IS NULL OR e.period_start < $3)
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [providerId, window.from ?? null, window.to ?? null],
    );
    const rows: EarningsRow[] = raw.map((r) => {
      const fee = BigInt(r.fee);
      const net = BigInt(r.net);
      const paidOut = BigInt(r.paid_out);
      return {
        period: r.period,
        apiId: r.api_id,
        apiName: r.api_name ?? '',
        currency: r.currency.trim(),
        grossMinor: (fee + net).toString(),
        feeMinor: fee.toString(),
        netMinor: net.toString(),
        paidOutMinor: paidOut.toString(),
        pendingMinor: (net - paidOut).toString(),
      };
    });
    const totals = new Map<string, bigint[]>();
    for (const row of rows) {
      const t = totals.get(row.currency) ?? [0n, 0n, 0n, 0n, 0n];
      [row.grossMinor, row.feeMinor, row.netMinor, row.paidOutMinor, row.pendingMinor].forEach((v, i) => {
        t[i] += BigInt(v);
      });
      totals.set(row.currency, t);
    }
    const balances = await this.dataSource.query<{ currency: string; balance: string }[]>(
      `SELECT currency, (-SUM(amount_minor))::text AS balance FROM ledger_entries
       WHERE account = 'provider_payable' AND provider_id = $1 GROUP BY currency ORDER BY currency`,
      [providerId],
    );
    return {
      providerId,
      rows,
      totals: [...totals].map(([currency, t]) => ({
        currency,
        grossMinor: t[0].toString(),
        feeMinor: t[1].toString(),
        netMinor: t[2].toString(),
        paidOutMinor: t[3].toString(),
        pendingMinor: t[4].toString(),
      })),
      balances: balances.map((b) => ({ currency: b.currency.trim(), balanceMinor: b.balance })),
      payouts: await this.payouts.statements(providerId),
    };
  }

  /**
   * Admin: platform fee income (−Σ platform_revenue) and what the payment provider took for the
   * same invoices (Σ payment_fees: Stripe's processing and dispute fees), per period, provider and
   * API. Fees of charges no Portico invoice knows have no API and are left out here (the ledger has them).
   */
  async platformRevenue(window: PeriodWindow): Promise<PlatformRevenue> {
    const rows = await this.dataSource.query<
      {
        period: string;
        provider_id: string;
        provider_name: string | null;
        api_id: string;
        api_name: string | null;
        currency: string;
        fee: string;
        payment_fees: string;
      }[]
    >(
      `SELECT to_char(e.period_start AT TIME ZONE 'UTC', 'YYYY-MM') AS period, e.provider_id, e.api_id, e.currency,
              MAX(i.parties->'provider'->>'displayName') AS provider_name, MAX(i.parties->'api'->>'name') AS api_name,
              COALESCE(-SUM(e.amount_minor) FILTER (WHERE e.account = 'platform_revenue'), 0)::text AS fee,
              COALESCE(SUM(e.amount_minor) FILTER (WHERE e.account = 'payment_fees'), 0)::text AS payment_fees
       FROM ledger_entries e LEFT JOIN invoices i ON i.id = e.invoice_id
       WHERE e.account IN ('platform_revenue', 'payment_fees') AND e.api_id IS NOT NULL
         AND ($1::timestamptz IS NULL OR e.period_start >= $1) AND ($2::timestamptz IS NULL OR e.period_start < $2)
       GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      [window.from ?? null, window.to ?? null],
    );
    const sum = <K extends string>(key: (r: (typeof rows)[number]) => K) => {
      const out = new Map<K, { row: (typeof rows)[number]; amounts: RevenueRow }>();
      for (const r of rows) {
        const k = key(r);
        const entry = out.get(k) ?? { row: r, amounts: { currency: r.currency.trim(), feeMinor: '0', paymentFeesMinor: '0', netMinor: '0' } };
        const fee = BigInt(entry.amounts.feeMinor) + BigInt(r.fee);
        const paymentFees = BigInt(entry.amounts.paymentFeesMinor) + BigInt(r.payment_fees);
        entry.amounts = { ...entry.amounts, feeMinor: fee.toString(), paymentFeesMinor: paymentFees.toString(), netMinor: (fee - paymentFees).toString() };
        out.set(k, entry);
      }
      return [...out.values()];
    };
    return {
      totals: sum((r) => r.currency).map(({ amounts }) => amounts),
      byPeriod: sum((r) => `${r.period}|${r.currency}`).map(({ row, amounts }) => ({ period: row.period, ...amounts })),
      byProvider: sum((r) => `${r.provider_id}|${r.currency}`).map(({ row, amounts }) => ({
        providerId: row.provider_id,
        providerName: row.provider_name ?? '',
        ...amounts,
      })),
      byApi: sum((r) => `${r.api_id}|${r.currency}`).map(({ row, amounts }) => ({
        apiId: row.api_id,
        apiName: row.api_name ?? '',
        providerId: row.provider_id,
        ...amounts,
      })),
    };
  }
}
