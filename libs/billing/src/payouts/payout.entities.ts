import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A transfer of a provider's payable balance in one currency (README "Payments and payouts"). */
@Entity({ name: 'payouts' })
@Index('ix_payouts__provider_id_created_at', ['providerId', 'createdAt'])
export class PayoutEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  providerId!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ type: 'bigint' })
  amountMinor!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: 'paid';

  /** The payment adapter's reference of the transfer. */
  @Column({ type: 'varchar', length: 255 })
  transferReference!: string;

  @Column({ type: 'timestamptz' })
  paidAt!: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

/** One invoice (or credit note) a payout settles: the statement line. An invoice is paid out once. */
@Entity({ name: 'payout_items' })
@Index('uq_payout_items__invoice_id', ['invoiceId'], { unique: true })
@Index('ix_payout_items__payout_id', ['payoutId'])
export class PayoutItemEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  payoutId!: string;

  @Column({ type: 'uuid' })
  invoiceId!: string;

  @Column({ type: 'uuid' })
  apiId!: string;

  @Column({ type: 'timestamptz' })
  periodStart!: Date;

  @Column({ type: 'bigint' })
  grossAmountMinor!: string;

  @Column({ type: 'bigint' })
  feeAmountMinor!: string;

  @Column({ type: 'bigint' })
  netAmountMinor!: string;
}
