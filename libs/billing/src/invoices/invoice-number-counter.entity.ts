import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The last invoice number issued in a year: incremented under its row lock at finalisation (gapless). */
@Entity({ name: 'invoice_number_counters' })
export class InvoiceNumberCounterEntity {
  @PrimaryColumn({ type: 'integer' })
  year!: number;

  @Column({ type: 'integer' })
  lastNumber!: number;
}
