import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Dispute outcomes (`charge.dispute.closed`): won/lost, when, and the credit note a lost one issued. */
export class BillingDisputeOutcomes1795875600000 implements MigrationInterface {
  name = 'BillingDisputeOutcomes1795875600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "billing_disputes" ADD "outcome" character varying(32)`);
    await queryRunner.query(`ALTER TABLE "billing_disputes" ADD "closed_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "billing_disputes" ADD "credit_note_id" uuid`);
    await queryRunner.query(
      `CREATE INDEX "ix_billing_disputes__invoice_id" ON "billing_disputes"  ("invoice_id") `,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_billing_disputes__invoice_id"`);
    await queryRunner.query(`ALTER TABLE "billing_disputes" DROP COLUMN "credit_note_id"`);
    await queryRunner.query(`ALTER TABLE "billing_disputes" DROP COLUMN "closed_at"`);
    await queryRunner.query(`ALTER TABLE "billing_disputes" DROP COLUMN "outcome"`);
  }
}
