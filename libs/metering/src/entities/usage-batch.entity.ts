import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One row per usage batch applied, written in the same transaction as the batch's effects: a
 * batch id found here has been counted, so a redelivered job counts nothing. Pruned after
 * `USAGE_BATCH_RETENTION_DAYS` (far beyond BullMQ's retries and failed-job retention).
 */
@Entity({ name: 'usage_batches' })
export class UsageBatchEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_batches' })
  batchId!: string;

  /** Events in the job's payload. */
  @Column({ type: 'integer' })
  events!: number;

  /** Of those, the calls counted by this batch (valid, and request id not seen before). */
  @Column({ type: 'integer', default: 0 })
  counted!: number;

  @Index('ix_usage_batches__applied_at')
  @Column({ type: 'timestamptz', default: () => 'now()' })
  appliedAt!: Date;
}
