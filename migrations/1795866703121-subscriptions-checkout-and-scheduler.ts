import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SubscriptionsCheckoutAndScheduler1795866703121 implements MigrationInterface {
  name = 'SubscriptionsCheckoutAndScheduler1795866703121';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "subscriptions" ADD "stripe_customer_id" character varying(255)`);
    await queryRunner.query(`ALTER TABLE "subscriptions" ADD "stripe_subscription_id" character varying(255)`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_subscriptions__stripe_subscription_id" ON "subscriptions"  ("stripe_subscription_id") WHERE stripe_subscription_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "ix_subscriptions__trial_ends_at" ON "subscriptions"  ("trial_ends_at") WHERE status = 'trialing'`);
    await queryRunner.query(`CREATE INDEX "ix_subscriptions__running_period_end" ON "subscriptions"  ("current_period_end") WHERE status IN ('trialing', 'active', 'past_due')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_subscriptions__running_period_end"`);
    await queryRunner.query(`DROP INDEX "public"."ix_subscriptions__trial_ends_at"`);
    await queryRunner.query(`DROP INDEX "public"."uq_subscriptions__stripe_subscription_id"`);
    await queryRunner.query(`ALTER TABLE "subscriptions" DROP COLUMN "stripe_subscription_id"`);
    await queryRunner.query(`ALTER TABLE "subscriptions" DROP COLUMN "stripe_customer_id"`);
  }
}
