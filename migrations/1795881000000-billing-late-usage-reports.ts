import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage that lands in a window after it was reported to Stripe (a worker restarting with a backlog
 * of usage batches, say) is reported too (libs/billing README "Usage reporting"): each window is
 * checked again once USAGE_RECHECK_LAG after its end, and units found since are sent as a further
 * meter event, a new revision of the window's report. Existing links start re-checking from where
 * they reported up to.
 */
export class BillingLateUsageReports1795881000000 implements MigrationInterface {
  name = 'BillingLateUsageReports1795881000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "billing_stripe_subscriptions" ADD "usage_rechecked_until" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(
      `UPDATE "billing_stripe_subscriptions" SET "usage_rechecked_until" = "usage_reported_until"`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing_stripe_subscriptions" ALTER COLUMN "usage_rechecked_until" SET NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE "billing_usage_reports" ADD "revision" integer NOT NULL DEFAULT 0`);
    await queryRunner.query(
      `ALTER TABLE "billing_usage_reports" DROP CONSTRAINT "PK_4e3df7c1e02541d984d8180269e"`,
    );
    await queryRunner.query(
      `ALTER TABLE "billing_usage_reports" ADD CONSTRAINT "pk_billing_usage_reports" PRIMARY KEY ("subscription_id", "window_start", "revision")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "billing_usage_reports" WHERE "revision" > 0`);
    await queryRunner.query(`ALTER TABLE "billing_usage_reports" DROP CONSTRAINT "pk_billing_usage_reports"`);
    await queryRunner.query(
      `ALTER TABLE "billing_usage_reports" ADD CONSTRAINT "PK_4e3df7c1e02541d984d8180269e" PRIMARY KEY ("subscription_id", "window_start")`,
    );
    await queryRunner.query(`ALTER TABLE "billing_usage_reports" DROP COLUMN "revision"`);
    await queryRunner.query(`ALTER TABLE "billing_stripe_subscriptions" DROP COLUMN "usage_rechecked_until"`);
  }
}
