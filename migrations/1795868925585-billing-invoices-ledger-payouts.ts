import type { MigrationInterface, QueryRunner } from 'typeorm';

export class BillingInvoicesLedgerPayouts1795868925585 implements MigrationInterface {
  name = 'BillingInvoicesLedgerPayouts1795868925585';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "invoice_lines" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "invoice_id" uuid NOT NULL, "position" integer NOT NULL, "kind" character varying(16) NOT NULL, "description" character varying(500) NOT NULL, "plan_id" uuid, "quantity" bigint, "unit_price_minor" numeric(20,10), "amount_minor" bigint NOT NULL, "period_start" TIMESTAMP WITH TIME ZONE NOT NULL, "period_end" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_3d18eb48142b916f581f0c21a65" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_invoice_lines__invoice_position" ON "invoice_lines"  ("invoice_id", "position") `);
    await queryRunner.query(`CREATE TABLE "invoice_number_counters" ("year" integer NOT NULL, "last_number" integer NOT NULL, CONSTRAINT "PK_f9e1ffa68d0d4181f94c73c0685" PRIMARY KEY ("year"))`);
    await queryRunner.query(`CREATE TABLE "invoices" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" character varying(16) NOT NULL, "number" character varying(32), "status" character varying(16) NOT NULL, "subscription_id" uuid NOT NULL, "consumer_account_id" uuid NOT NULL, "provider_id" uuid NOT NULL, "api_id" uuid NOT NULL, "plan_id" uuid NOT NULL, "period_start" TIMESTAMP WITH TIME ZONE NOT NULL, "period_end" TIMESTAMP WITH TIME ZONE NOT NULL, "currency" character(3) NOT NULL, "total_amount_minor" bigint NOT NULL, "fee_bps" integer NOT NULL, "fee_amount_minor" bigint NOT NULL, "provider_share_amount_minor" bigint NOT NULL, "credits_invoice_id" uuid, "memo" character varying(500), "parties" jsonb NOT NULL, "finalized_at" TIMESTAMP WITH TIME ZONE, "paid_at" TIMESTAMP WITH TIME ZONE, "voided_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_668cef7c22a427fd822cc1be3ce" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_invoices__provider_id_created_at" ON "invoices"  ("provider_id", "created_at") `);
    await queryRunner.query(`CREATE INDEX "ix_invoices__consumer_account_id_created_at" ON "invoices"  ("consumer_account_id", "created_at") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_invoices__number" ON "invoices"  ("number") WHERE number IS NOT NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_invoices__subscription_period" ON "invoices"  ("subscription_id", "period_start") WHERE kind = 'invoice'`);
    await queryRunner.query(`CREATE TABLE "ledger_transactions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" character varying(32) NOT NULL, "reference" character varying(128) NOT NULL, "description" character varying(500) NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_633d103c9e415d615aacf9b1929" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_ledger_transactions__reference" ON "ledger_transactions"  ("reference") `);
    await queryRunner.query(`CREATE TABLE "ledger_entries" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "transaction_id" uuid NOT NULL, "account" character varying(32) NOT NULL, "amount_minor" bigint NOT NULL, "currency" character(3) NOT NULL, "provider_id" uuid, "consumer_account_id" uuid, "api_id" uuid, "invoice_id" uuid, "payout_id" uuid, "period_start" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_6efcb84411d3f08b08450ae75d5" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_ledger_entries__account_provider_id" ON "ledger_entries"  ("account", "provider_id") `);
    await queryRunner.query(`CREATE INDEX "ix_ledger_entries__transaction_id" ON "ledger_entries"  ("transaction_id") `);
    await queryRunner.query(`CREATE TABLE "payouts" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "provider_id" uuid NOT NULL, "currency" character(3) NOT NULL, "amount_minor" bigint NOT NULL, "status" character varying(16) NOT NULL, "transfer_reference" character varying(255) NOT NULL, "paid_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_76855dc4f0a6c18c72eea302e87" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_payouts__provider_id_created_at" ON "payouts"  ("provider_id", "created_at") `);
    await queryRunner.query(`CREATE TABLE "payout_items" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "payout_id" uuid NOT NULL, "invoice_id" uuid NOT NULL, "api_id" uuid NOT NULL, "period_start" TIMESTAMP WITH TIME ZONE NOT NULL, "gross_amount_minor" bigint NOT NULL, "fee_amount_minor" bigint NOT NULL, "net_amount_minor" bigint NOT NULL, CONSTRAINT "PK_35112a1761045ac8fae40784723" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_payout_items__payout_id" ON "payout_items"  ("payout_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_payout_items__invoice_id" ON "payout_items"  ("invoice_id") `);
    await queryRunner.query(`CREATE TABLE "billing_period_closes" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "subscription_id" uuid NOT NULL, "consumer_account_id" uuid NOT NULL, "provider_id" uuid NOT NULL, "api_id" uuid NOT NULL, "plan_id" uuid NOT NULL, "period_start" TIMESTAMP WITH TIME ZONE NOT NULL, "period_end" TIMESTAMP WITH TIME ZONE NOT NULL, "full_period_end" TIMESTAMP WITH TIME ZONE NOT NULL, "trial_ends_at" TIMESTAMP WITH TIME ZONE, "reason" character varying(16) NOT NULL, "closed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "rated_at" TIMESTAMP WITH TIME ZONE, "outcome" character varying(16), "invoice_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0dd66a6e9f2358e539f840ea029" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_billing_period_closes__unrated" ON "billing_period_closes"  ("closed_at") WHERE rated_at IS NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_billing_period_closes__subscription_period" ON "billing_period_closes"  ("subscription_id", "period_start") `);
    await queryRunner.query(`CREATE TABLE "billing_plan_changes" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "subscription_id" uuid NOT NULL, "from_plan_id" uuid NOT NULL, "to_plan_id" uuid NOT NULL, "changed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_35ca2f883f73f275adaf4a89cb7" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_billing_plan_changes__subscription_changed_at" ON "billing_plan_changes"  ("subscription_id", "changed_at") `);
    await queryRunner.query(`ALTER TABLE "ledger_entries" ADD CONSTRAINT "fk_ledger_entries__transaction_id" FOREIGN KEY ("transaction_id") REFERENCES "ledger_transactions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    // Written by hand (TypeORM manages neither functions nor triggers; the drift check ignores them): libs/billing README.
    // 1. The database refuses an unbalanced ledger transaction: at commit, every transaction touched sums to 0 per currency.
    await queryRunner.query(`CREATE FUNCTION "billing_ledger_check_balanced"() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE unbalanced record;
      BEGIN
        SELECT currency, SUM(amount_minor) AS total INTO unbalanced FROM ledger_entries
          WHERE transaction_id = NEW.transaction_id GROUP BY currency HAVING SUM(amount_minor) <> 0 LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION 'ledger transaction % is unbalanced: % entries sum to %', NEW.transaction_id, unbalanced.currency, unbalanced.total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'billing_ledger_balanced';
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE CONSTRAINT TRIGGER "billing_ledger_balanced" AFTER INSERT ON "ledger_entries"
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "billing_ledger_check_balanced"()`);
    // 2. Ledger entries and transactions are append-only.
    await queryRunner.query(`CREATE FUNCTION "billing_ledger_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the ledger is append-only: % on % is refused (post a reversing transaction instead)', TG_OP, TG_TABLE_NAME
          USING ERRCODE = 'integrity_constraint_violation';
      END $$`);
    await queryRunner.query(`CREATE TRIGGER "billing_ledger_append_only" BEFORE UPDATE OR DELETE ON "ledger_entries"
      FOR EACH ROW EXECUTE FUNCTION "billing_ledger_refuse_change"()`);
    await queryRunner.query(`CREATE TRIGGER "billing_ledger_transactions_append_only" BEFORE UPDATE OR DELETE ON "ledger_transactions"
      FOR EACH ROW EXECUTE FUNCTION "billing_ledger_refuse_change"()`);
    // 3. A finalised invoice is immutable: only its status moves (open → paid | void | uncollectible, uncollectible → paid | void)
    //    with their timestamps; no delete past draft.
    await queryRunner.query(`CREATE FUNCTION "billing_invoice_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'invoice % is finalised (%): it cannot be deleted; issue a credit note', OLD.id, OLD.status
              USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'billing_invoices_immutable';
          END IF;
          RETURN OLD;
        END IF;
        IF OLD.status = 'draft' THEN
          IF NEW.status NOT IN ('draft', 'open') THEN
            RAISE EXCEPTION 'a draft invoice can only be finalised (open), not %', NEW.status
              USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'billing_invoices_immutable';
          END IF;
          RETURN NEW;
        END IF;
        IF (NEW.kind, NEW.number, NEW.subscription_id, NEW.consumer_account_id, NEW.provider_id, NEW.api_id, NEW.plan_id,
            NEW.period_start, NEW.period_end, NEW.currency, NEW.total_amount_minor, NEW.fee_bps, NEW.fee_amount_minor,
            NEW.provider_share_amount_minor, NEW.credits_invoice_id, NEW.memo, NEW.parties, NEW.finalized_at, NEW.created_at)
          IS DISTINCT FROM
           (OLD.kind, OLD.number, OLD.subscription_id, OLD.consumer_account_id, OLD.provider_id, OLD.api_id, OLD.plan_id,
            OLD.period_start, OLD.period_end, OLD.currency, OLD.total_amount_minor, OLD.fee_bps, OLD.fee_amount_minor,
            OLD.provider_share_amount_minor, OLD.credits_invoice_id, OLD.memo, OLD.parties, OLD.finalized_at, OLD.created_at)
          OR NOT (NEW.status = OLD.status
            OR (OLD.status = 'open' AND NEW.status IN ('paid', 'void', 'uncollectible'))
            OR (OLD.status = 'uncollectible' AND NEW.status IN ('paid', 'void'))) THEN
          RAISE EXCEPTION 'invoice % is finalised (%): it is immutable; correct it with a credit note', OLD.id, OLD.status
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'billing_invoices_immutable';
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER "billing_invoices_immutable" BEFORE UPDATE OR DELETE ON "invoices"
      FOR EACH ROW EXECUTE FUNCTION "billing_invoice_guard"()`);
    await queryRunner.query(`CREATE FUNCTION "billing_invoice_lines_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE parent_status varchar;
      BEGIN
        SELECT status INTO parent_status FROM invoices
          WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.invoice_id ELSE NEW.invoice_id END;
        IF parent_status IS DISTINCT FROM 'draft' AND parent_status IS NOT NULL THEN
          RAISE EXCEPTION 'the lines of a finalised invoice (%) are immutable', parent_status
            USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'billing_invoice_lines_immutable';
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER "billing_invoice_lines_immutable" BEFORE INSERT OR UPDATE OR DELETE ON "invoice_lines"
      FOR EACH ROW EXECUTE FUNCTION "billing_invoice_lines_guard"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "billing_invoice_lines_immutable" ON "invoice_lines"`);
    await queryRunner.query(`DROP FUNCTION "billing_invoice_lines_guard"()`);
    await queryRunner.query(`DROP TRIGGER "billing_invoices_immutable" ON "invoices"`);
    await queryRunner.query(`DROP FUNCTION "billing_invoice_guard"()`);
    await queryRunner.query(`DROP TRIGGER "billing_ledger_transactions_append_only" ON "ledger_transactions"`);
    await queryRunner.query(`DROP TRIGGER "billing_ledger_append_only" ON "ledger_entries"`);
    await queryRunner.query(`DROP FUNCTION "billing_ledger_refuse_change"()`);
    await queryRunner.query(`DROP TRIGGER "billing_ledger_balanced" ON "ledger_entries"`);
    await queryRunner.query(`DROP FUNCTION "billing_ledger_check_balanced"()`);
    await queryRunner.query(`ALTER TABLE "ledger_entries" DROP CONSTRAINT "fk_ledger_entries__transaction_id"`);
    await queryRunner.query(`DROP INDEX "public"."ix_billing_plan_changes__subscription_changed_at"`);
    await queryRunner.query(`DROP TABLE "billing_plan_changes"`);
    await queryRunner.query(`DROP INDEX "public"."uq_billing_period_closes__subscription_period"`);
    await queryRunner.query(`DROP INDEX "public"."ix_billing_period_closes__unrated"`);
    await queryRunner.query(`DROP TABLE "billing_period_closes"`);
    await queryRunner.query(`DROP INDEX "public"."uq_payout_items__invoice_id"`);
    await queryRunner.query(`DROP INDEX "public"."ix_payout_items__payout_id"`);
    await queryRunner.query(`DROP TABLE "payout_items"`);
    await queryRunner.query(`DROP INDEX "public"."ix_payouts__provider_id_created_at"`);
    await queryRunner.query(`DROP TABLE "payouts"`);
    await queryRunner.query(`DROP INDEX "public"."ix_ledger_entries__transaction_id"`);
    await queryRunner.query(`DROP INDEX "public"."ix_ledger_entries__account_provider_id"`);
    await queryRunner.query(`DROP TABLE "ledger_entries"`);
    await queryRunner.query(`DROP INDEX "public"."uq_ledger_transactions__reference"`);
    await queryRunner.query(`DROP TABLE "ledger_transactions"`);
    await queryRunner.query(`DROP INDEX "public"."uq_invoices__subscription_period"`);
    await queryRunner.query(`DROP INDEX "public"."uq_invoices__number"`);
    await queryRunner.query(`DROP INDEX "public"."ix_invoices__consumer_account_id_created_at"`);
    await queryRunner.query(`DROP INDEX "public"."ix_invoices__provider_id_created_at"`);
    await queryRunner.query(`DROP TABLE "invoices"`);
    await queryRunner.query(`DROP TABLE "invoice_number_counters"`);
    await queryRunner.query(`DROP INDEX "public"."uq_invoice_lines__invoice_position"`);
    await queryRunner.query(`DROP TABLE "invoice_lines"`);
  }
}
