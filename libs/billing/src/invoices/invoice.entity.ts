import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
export type InvoiceKind = 'invoice' | 'credit_note';

/** Both parties and what was sold, as they were when the invoice was drafted. */
export interface InvoiceParties {
  provider: { id: string; displayName: string; slug: string; supportEmail: string };
  /** Name and email as the account read at drafting; absent on invoices drafted before they were kept (their HTML shows the reader's current ones). */
  consumer: { accountId: string; displayName?: string; email?: string };
  api: { id: string; name: string; slug: string | null };
  plan: { id: string; name: string };
}

/**
 * An invoice of one subscription period, or a credit note correcting one. Immutable once finalised
 * (status past draft): triggers `billing_invoices_immutable` / `billing_invoice_lines_immutable`.
 */
@Entity({ name: 'invoices' })
@Index('uq_invoices__subscription_period', ['subscriptionId', 'periodStart'], {
  unique: true,
  where: `kind = 'invoice'`,
})
@Index('uq_invoices__number', ['number'], { unique: true, where: 'number IS NOT NULL' })
@Index('ix_invoices__consumer_account_id_created_at', ['consumerAccountId', 'createdAt'])
@Index('ix_invoices__provider_id_created_at', ['providerId', 'createdAt'])
@Index('uq_invoices__stripe_invoice_id', ['stripeInvoiceId'], { unique: true, where: 'stripe_invoice_id IS NOT NULL' })
export class InvoiceEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: InvoiceKind;

  /** `INV-<year>-<000001>`, set at finalisation (gapless per year). */
  @Column({ type: 'varchar', length: 32, nullable: true })
  number!: string | null;

  @Column({ type: 'varchar', length: 16 })
  status!: InvoiceStatus;

  @Column({ type: 'uuid' })
  subscriptionId!: string;

  @Column({ type: 'uuid' })
  consumerAccountId!: string;

  @Column({ type: 'uuid' })
  providerId!: string;

  @Column({ type: 'uuid' })
  apiId!: string;

  @Column({ type: 'uuid' })
  planId!: string;

  @Column({ type: 'timestamptz' })
  periodStart!: Date;

  @Column({ type: 'timestamptz' })
  periodEnd!: Date;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  /** Sum of the lines (negative on a credit note). */
  @Column({ type: 'bigint' })
  totalAmountMinor!: string;

  /** The platform fee in basis points, frozen at drafting. */
  @Column({ type: 'integer' })
  feeBps!: number;

  @Column({ type: 'bigint' })
  feeAmountMinor!: string;

  @Column({ type: 'bigint' })
  providerShareAmountMinor!: string;

  /** The invoice a credit note corrects. */
  @Column({ type: 'uuid', nullable: true })
  creditsInvoiceId!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  memo!: string | null;

  @Column({ type: 'jsonb' })
  parties!: InvoiceParties;

  /** PAYMENTS=stripe: the Stripe invoice this one mirrors (`in_…`); Stripe charged it. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  stripeInvoiceId!: string | null;

  /** How it was paid: Stripe's PaymentIntent (`pi_…`) or charge (`ch_…`), or the local reference; refunds go through it. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  paymentReference!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  finalizedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  paidAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  voidedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
