import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

const bigintNumber = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

/**
 * A consumer's usage alerts and overage spend cap for one subscription (README "Alerts and
 * caps"). One row per subscription that has any; a subscription without a row has neither.
 */
@Entity({ name: 'subscription_usage_controls' })
export class SubscriptionUsageControlsEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_subscription_usage_controls' })
  subscriptionId!: string;

  /** Alert at these percentages of the period quota (billing units), ascending, distinct. */
  @Column({ type: 'smallint', array: true, default: () => `'{}'` })
  quotaAlertPercents!: number[];

  /** Alert when the period's overage cost reaches these amounts (minor units of the plan's currency), ascending, distinct. */
  @Column({
    type: 'bigint',
    array: true,
    default: () => `'{}'`,
    transformer: {
      to: (value: number[]) => value,
      from: (value: string[]) => value.map(Number),
    },
  })
  overageAlertAmountsMinor!: number[];

  /** The most overage the consumer will pay per period (minor units); null = no cap. */
  @Column({ type: 'bigint', nullable: true, transformer: bigintNumber })
  spendCapAmountMinor!: number | null;

  /**
   * The period start for which the worker found the cap reached: the gateway refuses live calls
   * while it equals the current period's start. A new period, a raised or removed cap lift it.
   */
  @Column({ type: 'timestamptz', nullable: true })
  spendCappedPeriodStart!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
