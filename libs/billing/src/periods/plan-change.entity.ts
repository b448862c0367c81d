import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A subscription's plan change (reported by libs/subscriptions): proration splits periods here. */
@Entity({ name: 'billing_plan_changes' })
@Index('ix_billing_plan_changes__subscription_changed_at', ['subscriptionId', 'changedAt'])
export class PlanChangeEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  subscriptionId!: string;

  @Column({ type: 'uuid' })
  fromPlanId!: string;

  @Column({ type: 'uuid' })
  toPlanId!: string;

  @Column({ type: 'timestamptz' })
  changedAt!: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
