import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A lost dispute on a Stripe destination charge takes the provider's share back from its account
 * (libs/billing README "Disputes"): the dispute row keeps the disputed charge, the share to reverse
 * and the reversal's progress, which the minute job `billing.reverse-dispute-shares` completes.
 * Disputes recorded before have no charge id: their shares stay with the provider, as before.
 */
export class BillingDisputeShareReversals1795880400000 implements MigrationInterface {
  name = 'BillingDisputeShareReversals1795880400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "billing_disputes"
         ADD "stripe_charge_id" character varying(255),
         ADD "share_reversal_minor" bigint,
         ADD "share_reversal_reference" character varying(255),
         ADD "share_reversed_at" TIMESTAMP WITH TIME ZONE,
         ADD "share_reversal_attempts" integer NOT NULL DEFAULT 0,
         ADD "share_reversal_attempted_at" TIMESTAMP WITH TIME ZONE,
         ADD "share_reversal_error" text`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_billing_disputes__share_reversal_pending" ON "billing_disputes" ("share_reversal_attempted_at")
         WHERE "share_reversal_minor" IS NOT NULL AND "share_reversed_at" IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_billing_disputes__share_reversal_pending"`);
    await queryRunner.query(
      `ALTER TABLE "billing_disputes"
         DROP COLUMN "stripe_charge_id", DROP COLUMN "share_reversal_minor", DROP COLUMN "share_reversal_reference",
         DROP COLUMN "share_reversed_at", DROP COLUMN "share_reversal_attempts", DROP COLUMN "share_reversal_attempted_at",
         DROP COLUMN "share_reversal_error"`,
    );
  }
}
