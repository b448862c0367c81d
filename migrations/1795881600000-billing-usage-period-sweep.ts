import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage that lands even after its window's re-check (a worker down for longer than
 * USAGE_RECHECK_LAG) still reaches the period's Stripe invoice: once a Stripe period has ended and
 * its windows were re-checked, every window of it is read once more (libs/billing README "Usage
 * reporting"). The cursor `usage_swept_until` says up to where; existing links start where their
 * re-check is (a window boundary: the sweep walks the same windows the reports did).
 */
export class BillingUsagePeriodSweep1795881600000 implements MigrationInterface {
  name = 'BillingUsagePeriodSweep1795881600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing_stripe_subscriptions" ADD "usage_swept_until" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`UPDATE "billing_stripe_subscriptions" SET "usage_swept_until" = "usage_rechecked_until"`);
    await queryRunner.query(`ALTER TABLE "billing_stripe_subscriptions" ALTER COLUMN "usage_swept_until" SET NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing_stripe_subscriptions" DROP COLUMN "usage_swept_until"`);
  }
}
