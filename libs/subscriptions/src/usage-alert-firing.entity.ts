import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * An alert (or the spend cap) that fired for a subscription in one period: the primary key
 * (subscription, period start, alert) makes it fire at most once per period, however often or
 * concurrently the worker evaluates. Written in the same transaction as its notification.
 */
@Entity({ name: 'usage_alert_firings' })
export class UsageAlertFiringEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_usage_alert_firings' })
  subscriptionId!: string;

  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_alert_firings' })
  periodStart!: Date;

  /** `quota:<percent>`, `overage:<amountMinor>` or `spend_cap:<amountMinor>`. */
  @PrimaryColumn({ type: 'varchar', length: 48, primaryKeyConstraintName: 'pk_usage_alert_firings' })
  alert!: string;

  /** The notification recorded for it (libs/notifications; no foreign key across libs), set in the same transaction. */
  @Column({ type: 'uuid', nullable: true })
  notificationId!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  firedAt!: Date;
}
