import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialIdentity1795856757200 implements MigrationInterface {
  name = 'InitialIdentity1795856757200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "accounts" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "email" character varying(254) NOT NULL, "password_hash" text, "display_name" character varying(100) NOT NULL, "roles" text array NOT NULL DEFAULT '{}', "github_id" character varying(32), "github_login" character varying(100), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5a7a02c20412299d198e097a8fe" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_accounts__email" ON "accounts"  ("email") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_accounts__github_id" ON "accounts"  ("github_id") WHERE github_id IS NOT NULL`);
    await queryRunner.query(`CREATE TABLE "applications" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "account_id" uuid NOT NULL, "name" character varying(100) NOT NULL, "description" character varying(1000), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_938c0a27255637bde919591888f" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_applications__account_id" ON "applications"  ("account_id") `);
    await queryRunner.query(`CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "account_id" uuid NOT NULL, "application_id" uuid NOT NULL, "kind" character varying(16) NOT NULL, "mode" character varying(8) NOT NULL, "key_hash" character(64) NOT NULL, "prefix" character varying(16) NOT NULL, "last_four" character(4) NOT NULL, "label" character varying(100) NOT NULL, "scopes" text array NOT NULL DEFAULT '{*}', "ip_allowlist" text array NOT NULL DEFAULT '{}', "allowed_origins" text array NOT NULL DEFAULT '{}', "expires_at" TIMESTAMP WITH TIME ZONE, "last_used_at" TIMESTAMP WITH TIME ZONE, "revoked_at" TIMESTAMP WITH TIME ZONE, "replaced_by_key_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_api_keys__account_id" ON "api_keys"  ("account_id") `);
    await queryRunner.query(`CREATE INDEX "ix_api_keys__application_id" ON "api_keys"  ("application_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_keys__key_hash" ON "api_keys"  ("key_hash") `);
    await queryRunner.query(`CREATE TABLE "sessions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "account_id" uuid NOT NULL, "token_hash" character(64) NOT NULL, "csrf_token" character varying(64) NOT NULL, "ip" character varying(64), "user_agent" character varying(512), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_3238ef96f18b355b671619111bc" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_sessions__account_id" ON "sessions"  ("account_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_sessions__token_hash" ON "sessions"  ("token_hash") `);
    await queryRunner.query(`ALTER TABLE "applications" ADD CONSTRAINT "fk_applications__account_id" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "api_keys" ADD CONSTRAINT "fk_api_keys__account_id" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "api_keys" ADD CONSTRAINT "fk_api_keys__application_id" FOREIGN KEY ("application_id") REFERENCES "applications"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "sessions" ADD CONSTRAINT "fk_sessions__account_id" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" DROP CONSTRAINT "fk_sessions__account_id"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP CONSTRAINT "fk_api_keys__application_id"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP CONSTRAINT "fk_api_keys__account_id"`);
    await queryRunner.query(`ALTER TABLE "applications" DROP CONSTRAINT "fk_applications__account_id"`);
    await queryRunner.query(`DROP INDEX "public"."uq_sessions__token_hash"`);
    await queryRunner.query(`DROP INDEX "public"."ix_sessions__account_id"`);
    await queryRunner.query(`DROP TABLE "sessions"`);
    await queryRunner.query(`DROP INDEX "public"."uq_api_keys__key_hash"`);
    await queryRunner.query(`DROP INDEX "public"."ix_api_keys__application_id"`);
    await queryRunner.query(`DROP INDEX "public"."ix_api_keys__account_id"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
    await queryRunner.query(`DROP INDEX "public"."ix_applications__account_id"`);
    await queryRunner.query(`DROP TABLE "applications"`);
    await queryRunner.query(`DROP INDEX "public"."uq_accounts__github_id"`);
    await queryRunner.query(`DROP INDEX "public"."uq_accounts__email"`);
    await queryRunner.query(`DROP TABLE "accounts"`);
  }
}
