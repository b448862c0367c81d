import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 5 "Alerts and caps": libs/notifications' in-app `notifications`, libs/subscriptions'
 * `subscription_usage_controls` (alerts, spend cap, the period it was reached in) and
 * `usage_alert_firings` (one row per subscription, period and alert: fired once).
 */
export class UsageAlertsAndSpendCaps1795868769815 implements MigrationInterface {
  name = 'UsageAlertsAndSpendCaps1795868769815';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "notifications" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "account_id" uuid NOT NULL, "type" character varying(64) NOT NULL, "title" character varying(200) NOT NULL, "body" text NOT NULL, "data" jsonb NOT NULL DEFAULT '{}'::jsonb, "read_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_6a72c3c0f683f6462415e653c3a" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_notifications__account_id_unread" ON "notifications"  ("account_id") WHERE read_at IS NULL`);
    await queryRunner.query(`CREATE INDEX "ix_notifications__account_id_created_at" ON "notifications"  ("account_id", "created_at") `);
    await queryRunner.query(`CREATE TABLE "usage_alert_firings" ("subscription_id" uuid NOT NULL, "period_start" TIMESTAMP WITH TIME ZONE NOT NULL, "alert" character varying(48) NOT NULL, "notification_id" uuid, "fired_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_usage_alert_firings" PRIMARY KEY ("subscription_id", "period_start", "alert"))`);
    await queryRunner.query(`CREATE TABLE "subscription_usage_controls" ("subscription_id" uuid NOT NULL, "quota_alert_percents" smallint array NOT NULL DEFAULT '{}', "overage_alert_amounts_minor" bigint array NOT NULL DEFAULT '{}', "spend_cap_amount_minor" bigint, "spend_capped_period_start" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_subscription_usage_controls" PRIMARY KEY ("subscription_id"))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "subscription_usage_controls"`);
    await queryRunner.query(`DROP TABLE "usage_alert_firings"`);
    await queryRunner.query(`DROP INDEX "public"."ix_notifications__account_id_created_at"`);
    await queryRunner.query(`DROP INDEX "public"."ix_notifications__account_id_unread"`);
    await queryRunner.query(`DROP TABLE "notifications"`);
  }
}
