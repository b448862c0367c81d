import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

export type LedgerAccount =
  | 'consumer_receivable'
  | 'payment_clearing'
  | 'platform_revenue'
  | 'provider_payable'
  | 'refunds'
  /** Money Stripe holds back for an open dispute (chargeback). */
  | 'disputes'
  /** What the payment provider charged the platform: Stripe's processing fee of a charge, a dispute's fee (an expense). */
  | 'payment_fees';

export const LEDGER_ACCOUNTS: readonly LedgerAccount[] = [
  'consumer_receivable',
  'payment_clearing',
  'platform_revenue',
  'provider_payable',
  'refunds',
  'disputes',
  'payment_fees',
];

export type LedgerTransactionKind =
  | 'invoice_finalized'
  | 'invoice_paid'
  | 'invoice_voided'
  | 'credit_note'
  | 'refund'
  | 'payout'
  /** An unpaid invoice given up after dunning: the finalisation reversed. */
  | 'write_off'
  | 'dispute'
  /** A fee the payment provider took from the platform's balance. */
  | 'payment_fee';

/** One balanced posting (README "The ledger"); `reference` makes it exactly-once. */
@Entity({ name: 'ledger_transactions' })
@Index('uq_ledger_transactions__reference', ['reference'], { unique: true })
export class LedgerTransactionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 32 })
  kind!: LedgerTransactionKind;

  @Column({ type: 'varchar', length: 128 })
  reference!: string;

  @Column({ type: 'varchar', length: 500 })
  description!: string;

  @Column({ type: 'timestamptz' })
  occurredAt!: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

/**
 * One leg of a posting: debit positive, credit negative. Append-only; each transaction sums to 0
 * per currency at commit (deferred constraint trigger `billing_ledger_balanced`).
 */
@Entity({ name: 'ledger_entries' })
@Index('ix_ledger_entries__transaction_id', ['transactionId'])
@Index('ix_ledger_entries__account_provider_id', ['account', 'providerId'])
export class LedgerEntryEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  transactionId!: string;

  @ManyToOne(() => LedgerTransactionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'transaction_id', foreignKeyConstraintName: 'fk_ledger_entries__transaction_id' })
  transaction?: LedgerTransactionEntity;

  @Column({ type: 'varchar', length: 32 })
  account!: LedgerAccount;

  @Column({ type: 'bigint' })
  amountMinor!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ type: 'uuid', nullable: true })
  providerId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  consumerAccountId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  apiId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  invoiceId!: string | null;

  @Column({ type: 'uuid', nullable: true })
  payoutId!: string | null;

  /** The billed period's start (earnings and revenue group by its month). */
  @Column({ type: 'timestamptz', nullable: true })
  periodStart!: Date | null;
}
