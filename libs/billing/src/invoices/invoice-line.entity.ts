import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { InvoiceLineKind } from '../rating/rating';

/** One line of an invoice: base, overage (units × unit price), proration or credit. */
@Entity({ name: 'invoice_lines' })
@Index('uq_invoice_lines__invoice_position', ['invoiceId', 'position'], { unique: true })
export class InvoiceLineEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  invoiceId!: string;

  @Column({ type: 'integer' })
  position!: number;

  @Column({ type: 'varchar', length: 16 })
  kind!: InvoiceLineKind;

  @Column({ type: 'varchar', length: 500 })
  description!: string;

  @Column({ type: 'uuid', nullable: true })
  planId!: string | null;

  /** Units (overage lines). */
  @Column({ type: 'bigint', nullable: true })
  quantity!: string | null;

  /** Minor units per unit, exact decimal (overage lines). */
  @Column({ type: 'numeric', precision: 20, scale: 10, nullable: true })
  unitPriceMinor!: string | null;

  /** Rounded once, half-up, to the minor unit. */
  @Column({ type: 'bigint' })
  amountMinor!: string;

  @Column({ type: 'timestamptz' })
  periodStart!: Date;

  @Column({ type: 'timestamptz' })
  periodEnd!: Date;
}
