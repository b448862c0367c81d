import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Subscriptions1795862565414 implements MigrationInterface {
  name = 'Subscriptions1795862565414';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "subscriptions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "consumer_account_id" uuid NOT NULL, "api_id" uuid NOT NULL, "provider_id" uuid NOT NULL, "plan_id" uuid NOT NULL, "status" character varying(24) NOT NULL, "anchor" TIMESTAMP WITH TIME ZONE, "current_period_start" TIMESTAMP WITH TIME ZONE, "current_period_end" TIMESTAMP WITH TIME ZONE, "trial_ends_at" TIMESTAMP WITH TIME ZONE, "cancel_at_period_end" boolean NOT NULL DEFAULT false, "canceled_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a87248d73155605cf782be9ee5e" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_subscriptions__consumer_account_id" ON "subscriptions"  ("consumer_account_id") `);
    await queryRunner.query(`CREATE INDEX "ix_subscriptions__plan_id_status" ON "subscriptions"  ("plan_id", "status") `);
    await queryRunner.query(`CREATE INDEX "ix_subscriptions__provider_id_status" ON "subscriptions"  ("provider_id", "status") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_subscriptions__live_consumer_api" ON "subscriptions"  ("consumer_account_id", "api_id") WHERE status IN ('pending_approval', 'incomplete', 'trialing', 'active', 'past_due')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."uq_subscriptions__live_consumer_api"`);
    await queryRunner.query(`DROP INDEX "public"."ix_subscriptions__provider_id_status"`);
    await queryRunner.query(`DROP INDEX "public"."ix_subscriptions__plan_id_status"`);
    await queryRunner.query(`DROP INDEX "public"."ix_subscriptions__consumer_account_id"`);
    await queryRunner.query(`DROP TABLE "subscriptions"`);
  }
}
