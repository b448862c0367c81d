import type { MigrationInterface, QueryRunner } from 'typeorm';

export class StripePaymentsDunningRefunds1795871158122 implements MigrationInterface {
  name = 'StripePaymentsDunningRefunds1795871158122';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "billing_stripe_subscriptions" ("subscription_id" uuid NOT NULL, "stripe_customer_id" character varying(255) NOT NULL, "stripe_subscription_id" character varying(255) NOT NULL, "stripe_status" character varying(32) NOT NULL, "current_period_start" TIMESTAMP WITH TIME ZONE, "current_period_end" TIMESTAMP WITH TIME ZONE, "usage_reported_until" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_99e4767db54789ed1d7b7edb052" PRIMARY KEY ("subscription_id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_billing_stripe_subscriptions__stripe_subscription_id" ON "billing_stripe_subscriptions"  ("stripe_subscription_id") `);
    await queryRunner.query(`CREATE TABLE "billing_usage_reports" ("subscription_id" uuid NOT NULL, "window_start" TIMESTAMP WITH TIME ZONE NOT NULL, "window_end" TIMESTAMP WITH TIME ZONE NOT NULL, "units" bigint NOT NULL, "identifier" character varying(128) NOT NULL, "reported_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_4e3df7c1e02541d984d8180269e" PRIMARY KEY ("subscription_id", "window_start"))`);
    await queryRunner.query(`CREATE INDEX "ix_billing_usage_reports__unreported" ON "billing_usage_reports"  ("created_at") WHERE reported_at IS NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_billing_usage_reports__identifier" ON "billing_usage_reports"  ("identifier") `);
    await queryRunner.query(`CREATE TABLE "billing_refunds" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "invoice_id" uuid NOT NULL, "credit_note_id" uuid NOT NULL, "provider_id" uuid NOT NULL, "amount_minor" bigint NOT NULL, "currency" character(3) NOT NULL, "fee_amount_minor" bigint NOT NULL, "provider_share_amount_minor" bigint NOT NULL, "status" character varying(16) NOT NULL, "initiated_by" character varying(16) NOT NULL, "initiator_account_id" uuid, "reason" character varying(500) NOT NULL, "request_key" character varying(300), "stripe_refund_id" character varying(255), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "completed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_f6325a1915e90d58328317f05c5" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_billing_refunds__pending" ON "billing_refunds"  ("created_at") WHERE status = 'pending'`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_billing_refunds__request_key" ON "billing_refunds"  ("request_key") WHERE request_key IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "ix_billing_refunds__invoice_id" ON "billing_refunds"  ("invoice_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_billing_refunds__stripe_refund_id" ON "billing_refunds"  ("stripe_refund_id") WHERE stripe_refund_id IS NOT NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_billing_refunds__credit_note_id" ON "billing_refunds"  ("credit_note_id") `);
    await queryRunner.query(`CREATE TABLE "billing_disputes" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "stripe_dispute_id" character varying(255) NOT NULL, "invoice_id" uuid, "amount_minor" bigint NOT NULL, "currency" character(3) NOT NULL, "status" character varying(64) NOT NULL, "reason" character varying(64), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_7844c07b7bb29c3b915624599fc" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_billing_disputes__stripe_dispute_id" ON "billing_disputes"  ("stripe_dispute_id") `);
    await queryRunner.query(`CREATE TABLE "billing_dunning" ("invoice_id" uuid NOT NULL, "subscription_id" uuid NOT NULL, "consumer_account_id" uuid NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "retries" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE, "grace_ends_at" TIMESTAMP WITH TIME ZONE NOT NULL, "outcome" character varying(16), "ended_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_a53c4a5e104c3d32ea4be74b72d" PRIMARY KEY ("invoice_id"))`);
    await queryRunner.query(`CREATE INDEX "ix_billing_dunning__next_attempt_at" ON "billing_dunning"  ("next_attempt_at") WHERE ended_at IS NULL`);
    await queryRunner.query(`CREATE TABLE "billing_drifts" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "object_type" character varying(32) NOT NULL, "object_id" uuid NOT NULL, "stripe_id" character varying(255) NOT NULL, "field" character varying(64) NOT NULL, "local_value" character varying(255) NOT NULL, "stripe_value" character varying(255) NOT NULL, "detected_at" TIMESTAMP WITH TIME ZONE NOT NULL, "resolved_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_9f04f8c2df4c4334cd4adf0481b" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_billing_drifts__object_field" ON "billing_drifts"  ("object_type", "object_id", "field") `);
    await queryRunner.query(`ALTER TABLE "invoices" ADD "stripe_invoice_id" character varying(255)`);
    await queryRunner.query(`ALTER TABLE "invoices" ADD "payment_reference" character varying(255)`);
    await queryRunner.query(`ALTER TABLE "subscriptions" ADD "payment_grace_ends_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_invoices__stripe_invoice_id" ON "invoices"  ("stripe_invoice_id") WHERE stripe_invoice_id IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."uq_invoices__stripe_invoice_id"`);
    await queryRunner.query(`ALTER TABLE "subscriptions" DROP COLUMN "payment_grace_ends_at"`);
    await queryRunner.query(`ALTER TABLE "invoices" DROP COLUMN "payment_reference"`);
    await queryRunner.query(`ALTER TABLE "invoices" DROP COLUMN "stripe_invoice_id"`);
    await queryRunner.query(`DROP INDEX "public"."uq_billing_drifts__object_field"`);
    await queryRunner.query(`DROP TABLE "billing_drifts"`);
    await queryRunner.query(`DROP INDEX "public"."ix_billing_dunning__next_attempt_at"`);
    await queryRunner.query(`DROP TABLE "billing_dunning"`);
    await queryRunner.query(`DROP INDEX "public"."uq_billing_disputes__stripe_dispute_id"`);
    await queryRunner.query(`DROP TABLE "billing_disputes"`);
    await queryRunner.query(`DROP INDEX "public"."uq_billing_refunds__credit_note_id"`);
    await queryRunner.query(`DROP INDEX "public"."uq_billing_refunds__stripe_refund_id"`);
    await queryRunner.query(`DROP INDEX "public"."ix_billing_refunds__invoice_id"`);
    await queryRunner.query(`DROP INDEX "public"."uq_billing_refunds__request_key"`);
    await queryRunner.query(`DROP INDEX "public"."ix_billing_refunds__pending"`);
    await queryRunner.query(`DROP TABLE "billing_refunds"`);
    await queryRunner.query(`DROP INDEX "public"."uq_billing_usage_reports__identifier"`);
    await queryRunner.query(`DROP INDEX "public"."ix_billing_usage_reports__unreported"`);
    await queryRunner.query(`DROP TABLE "billing_usage_reports"`);
    await queryRunner.query(`DROP INDEX "public"."uq_billing_stripe_subscriptions__stripe_subscription_id"`);
    await queryRunner.query(`DROP TABLE "billing_stripe_subscriptions"`);
  }
}
