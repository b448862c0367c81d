import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CatalogAndStripeInbox1795858360071 implements MigrationInterface {
  name = 'CatalogAndStripeInbox1795858360071';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "stripe_events" ("id" character varying(255) NOT NULL, "type" character varying(100) NOT NULL, "account" character varying(64), "payload" jsonb NOT NULL, "stripe_created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "processed_at" TIMESTAMP WITH TIME ZONE, "attempts" integer NOT NULL DEFAULT '0', "last_error" text, CONSTRAINT "PK_d3247bd5fc3f66b6982bbcdd897" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_stripe_events__type" ON "stripe_events"  ("type") `);
    await queryRunner.query(`CREATE INDEX "ix_stripe_events__unprocessed" ON "stripe_events"  ("processed_at") WHERE processed_at IS NULL`);
    await queryRunner.query(`CREATE TABLE "categories" ("slug" character varying(64) NOT NULL, "name" character varying(100) NOT NULL, "description" character varying(300) NOT NULL, "sort_order" integer NOT NULL, CONSTRAINT "PK_420d9f679d41281f282f5bc7d09" PRIMARY KEY ("slug"))`);
    await queryRunner.query(`CREATE TABLE "providers" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "owner_account_id" uuid NOT NULL, "display_name" character varying(100) NOT NULL, "slug" character varying(64) NOT NULL, "support_email" character varying(254) NOT NULL, "website_url" character varying(2048), "payout_status" character varying(16) NOT NULL DEFAULT 'not_started', "stripe_account_id" character varying(64), "charges_enabled" boolean NOT NULL DEFAULT false, "payouts_enabled" boolean NOT NULL DEFAULT false, "payout_requirements" text array NOT NULL DEFAULT '{}', "fee_bps_override" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_af13fc2ebf382fe0dad2e4793aa" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_providers__owner_account_id" ON "providers"  ("owner_account_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_providers__slug" ON "providers"  ("slug") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_providers__stripe_account_id" ON "providers"  ("stripe_account_id") WHERE stripe_account_id IS NOT NULL`);
    await queryRunner.query(`CREATE TABLE "api_listings" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "provider_id" uuid NOT NULL, "slug" character varying(64) NOT NULL, "name" character varying(100) NOT NULL, "summary" character varying(300) NOT NULL, "description" text NOT NULL DEFAULT '', "category_slug" character varying(64) NOT NULL, "tags" text array NOT NULL DEFAULT '{}', "logo_url" character varying(2048), "website_url" character varying(2048), "terms_url" character varying(2048), "visibility" character varying(16) NOT NULL DEFAULT 'public', "status" character varying(24) NOT NULL DEFAULT 'draft', "published_at" TIMESTAMP WITH TIME ZONE, "sunset_at" TIMESTAMP WITH TIME ZONE, "deprecation_message" character varying(1000), "upstream_live_url" character varying(2048) NOT NULL, "upstream_sandbox_url" character varying(2048), "upstream_timeout_ms" integer NOT NULL DEFAULT '30000', "credential_location" character varying(8), "credential_name" character varying(128), "credential_ciphertext" text, "credential_last_four" character varying(4), "current_version_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_86e2165f55b0c18ec8af3f33c8c" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_api_listings__provider_id" ON "api_listings"  ("provider_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_listings__slug" ON "api_listings"  ("slug") `);
    await queryRunner.query(`CREATE INDEX "ix_api_listings__status" ON "api_listings"  ("status") `);
    await queryRunner.query(`CREATE TABLE "api_invitations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "api_id" uuid NOT NULL, "plan_id" uuid, "email" character varying(254) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_73a5cbcaa20ec1a04ce105831b4" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_api_invitations__email" ON "api_invitations"  ("email") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_invitations__plan_email" ON "api_invitations"  ("plan_id", "email") WHERE plan_id IS NOT NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_invitations__api_email" ON "api_invitations"  ("api_id", "email") WHERE plan_id IS NULL`);
    await queryRunner.query(`CREATE TABLE "api_proxy_secrets" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "api_id" uuid NOT NULL, "secret_ciphertext" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_851185873ebd425d106e0cf28e6" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_api_proxy_secrets__api_id" ON "api_proxy_secrets"  ("api_id") `);
    await queryRunner.query(`CREATE TABLE "plans" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "api_id" uuid NOT NULL, "family_id" uuid NOT NULL, "version" integer NOT NULL DEFAULT '1', "name" character varying(50) NOT NULL, "description" character varying(500) NOT NULL DEFAULT '', "price_amount_minor" bigint NOT NULL DEFAULT '0', "currency" character(3) NOT NULL DEFAULT 'USD', "quota_period" character varying(8) NOT NULL DEFAULT 'month', "quota_limit" bigint, "quota_mode" character varying(8) NOT NULL DEFAULT 'hard', "overage_unit_price_minor" numeric(20,10), "rate_limit" jsonb NOT NULL DEFAULT '{}', "included_endpoints" text array, "endpoint_weights" jsonb NOT NULL DEFAULT '{}', "endpoint_rate_limits" jsonb NOT NULL DEFAULT '{}', "visibility" character varying(16) NOT NULL DEFAULT 'public', "approval_required" boolean NOT NULL DEFAULT false, "trial_days" integer NOT NULL DEFAULT '0', "status" character varying(16) NOT NULL DEFAULT 'active', "superseded_by_plan_id" uuid, "sort_order" integer NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_3720521a81c7c24fe9b7202ba61" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_plans__api_id" ON "plans"  ("api_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_plans__family_version" ON "plans"  ("family_id", "version") `);
    await queryRunner.query(`CREATE TABLE "api_versions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "api_id" uuid NOT NULL, "number" integer NOT NULL, "label" character varying(100) NOT NULL, "source_format" character varying(16) NOT NULL, "document" json NOT NULL, "endpoint_count" integer NOT NULL, "changelog" jsonb, "published_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d84f6e984b5a582d4ef8f804a02" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_versions__api_id_number" ON "api_versions"  ("api_id", "number") `);
    await queryRunner.query(`CREATE TABLE "api_endpoints" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "api_id" uuid NOT NULL, "version_id" uuid NOT NULL, "method" character varying(8) NOT NULL, "path" character varying(1024) NOT NULL, "operation_id" character varying(200), "summary" character varying(500), "description" text, "tags" text array NOT NULL DEFAULT '{}', "deprecated" boolean NOT NULL DEFAULT false, "parameters" jsonb NOT NULL DEFAULT '[]', "request_body" jsonb, "responses" jsonb NOT NULL DEFAULT '{}', CONSTRAINT "PK_86582e0b469aab3e946ed53be2f" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_api_endpoints__api_id" ON "api_endpoints"  ("api_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_endpoints__version_method_path" ON "api_endpoints"  ("version_id", "method", "path") `);
    await queryRunner.query(`ALTER TABLE "api_listings" ADD CONSTRAINT "fk_api_listings__provider_id" FOREIGN KEY ("provider_id") REFERENCES "providers"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "api_listings" ADD CONSTRAINT "fk_api_listings__category_slug" FOREIGN KEY ("category_slug") REFERENCES "categories"("slug") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "api_invitations" ADD CONSTRAINT "fk_api_invitations__api_id" FOREIGN KEY ("api_id") REFERENCES "api_listings"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "api_proxy_secrets" ADD CONSTRAINT "fk_api_proxy_secrets__api_id" FOREIGN KEY ("api_id") REFERENCES "api_listings"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "plans" ADD CONSTRAINT "fk_plans__api_id" FOREIGN KEY ("api_id") REFERENCES "api_listings"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "api_versions" ADD CONSTRAINT "fk_api_versions__api_id" FOREIGN KEY ("api_id") REFERENCES "api_listings"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "api_endpoints" ADD CONSTRAINT "fk_api_endpoints__version_id" FOREIGN KEY ("version_id") REFERENCES "api_versions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_endpoints" DROP CONSTRAINT "fk_api_endpoints__version_id"`);
    await queryRunner.query(`ALTER TABLE "api_versions" DROP CONSTRAINT "fk_api_versions__api_id"`);
    await queryRunner.query(`ALTER TABLE "plans" DROP CONSTRAINT "fk_plans__api_id"`);
    await queryRunner.query(`ALTER TABLE "api_proxy_secrets" DROP CONSTRAINT "fk_api_proxy_secrets__api_id"`);
    await queryRunner.query(`ALTER TABLE "api_invitations" DROP CONSTRAINT "fk_api_invitations__api_id"`);
    await queryRunner.query(`ALTER TABLE "api_listings" DROP CONSTRAINT "fk_api_listings__category_slug"`);
    await queryRunner.query(`ALTER TABLE "api_listings" DROP CONSTRAINT "fk_api_listings__provider_id"`);
    await queryRunner.query(`DROP INDEX "public"."uq_api_endpoints__version_method_path"`);
    await queryRunner.query(`DROP INDEX "public"."ix_api_endpoints__api_id"`);
    await queryRunner.query(`DROP TABLE "api_endpoints"`);
    await queryRunner.query(`DROP INDEX "public"."uq_api_versions__api_id_number"`);
    await queryRunner.query(`DROP TABLE "api_versions"`);
    await queryRunner.query(`DROP INDEX "public"."uq_plans__family_version"`);
    await queryRunner.query(`DROP INDEX "public"."ix_plans__api_id"`);
    await queryRunner.query(`DROP TABLE "plans"`);
    await queryRunner.query(`DROP INDEX "public"."ix_api_proxy_secrets__api_id"`);
    await queryRunner.query(`DROP TABLE "api_proxy_secrets"`);
    await queryRunner.query(`DROP INDEX "public"."uq_api_invitations__api_email"`);
    await queryRunner.query(`DROP INDEX "public"."uq_api_invitations__plan_email"`);
    await queryRunner.query(`DROP INDEX "public"."ix_api_invitations__email"`);
    await queryRunner.query(`DROP TABLE "api_invitations"`);
    await queryRunner.query(`DROP INDEX "public"."ix_api_listings__status"`);
    await queryRunner.query(`DROP INDEX "public"."uq_api_listings__slug"`);
    await queryRunner.query(`DROP INDEX "public"."ix_api_listings__provider_id"`);
    await queryRunner.query(`DROP TABLE "api_listings"`);
    await queryRunner.query(`DROP INDEX "public"."uq_providers__stripe_account_id"`);
    await queryRunner.query(`DROP INDEX "public"."uq_providers__slug"`);
    await queryRunner.query(`DROP INDEX "public"."uq_providers__owner_account_id"`);
    await queryRunner.query(`DROP TABLE "providers"`);
    await queryRunner.query(`DROP TABLE "categories"`);
    await queryRunner.query(`DROP INDEX "public"."ix_stripe_events__unprocessed"`);
    await queryRunner.query(`DROP INDEX "public"."ix_stripe_events__type"`);
    await queryRunner.query(`DROP TABLE "stripe_events"`);
  }
}
