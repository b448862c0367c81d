import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Reviews1795870288947 implements MigrationInterface {
  name = 'Reviews1795870288947';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "review_aggregates" ("api_id" uuid NOT NULL, "review_count" integer NOT NULL DEFAULT '0', "rating_sum" integer NOT NULL DEFAULT '0', "count_1" integer NOT NULL DEFAULT '0', "count_2" integer NOT NULL DEFAULT '0', "count_3" integer NOT NULL DEFAULT '0', "count_4" integer NOT NULL DEFAULT '0', "count_5" integer NOT NULL DEFAULT '0', "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_review_aggregates__counts" CHECK (review_count = count_1 + count_2 + count_3 + count_4 + count_5), CONSTRAINT "pk_review_aggregates" PRIMARY KEY ("api_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "reviews" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "api_id" uuid NOT NULL, "author_account_id" uuid NOT NULL, "rating" smallint NOT NULL, "title" character varying(120) NOT NULL, "body" text NOT NULL, "helpful_count" integer NOT NULL DEFAULT '0', "edited_at" TIMESTAMP WITH TIME ZONE, "hidden_at" TIMESTAMP WITH TIME ZONE, "hidden_by_account_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_reviews__helpful_count" CHECK (helpful_count >= 0), CONSTRAINT "ck_reviews__rating" CHECK (rating BETWEEN 1 AND 5), CONSTRAINT "pk_reviews" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_reviews__author_account_id" ON "reviews"  ("author_account_id") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_reviews__api_id_rating" ON "reviews"  ("api_id", "rating") WHERE hidden_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_reviews__api_id_helpful_count" ON "reviews"  ("api_id", "helpful_count") WHERE hidden_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_reviews__api_id_created_at" ON "reviews"  ("api_id", "created_at") WHERE hidden_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_reviews__api_id_author_account_id" ON "reviews"  ("api_id", "author_account_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "review_helpful_votes" ("review_id" uuid NOT NULL, "account_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_review_helpful_votes" PRIMARY KEY ("review_id", "account_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_review_helpful_votes__account_id" ON "review_helpful_votes"  ("account_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "review_replies" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "review_id" uuid NOT NULL, "author_account_id" uuid NOT NULL, "body" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_review_replies" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_review_replies__review_id" ON "review_replies"  ("review_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "review_reports" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "review_id" uuid NOT NULL, "reporter_account_id" uuid NOT NULL, "reason" character varying(32) NOT NULL, "details" text, "resolved_at" TIMESTAMP WITH TIME ZONE, "resolution" character varying(16), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_review_reports" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_review_reports__open_review_id" ON "review_reports"  ("review_id") WHERE resolved_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_review_reports__review_id_reporter_account_id" ON "review_reports"  ("review_id", "reporter_account_id") `,
    );
    await queryRunner.query(
      `ALTER TABLE "review_helpful_votes" ADD CONSTRAINT "fk_review_helpful_votes__review_id" FOREIGN KEY ("review_id") REFERENCES "reviews"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "review_replies" ADD CONSTRAINT "fk_review_replies__review_id" FOREIGN KEY ("review_id") REFERENCES "reviews"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "review_reports" ADD CONSTRAINT "fk_review_reports__review_id" FOREIGN KEY ("review_id") REFERENCES "reviews"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "review_reports" DROP CONSTRAINT "fk_review_reports__review_id"`);
    await queryRunner.query(`ALTER TABLE "review_replies" DROP CONSTRAINT "fk_review_replies__review_id"`);
    await queryRunner.query(
      `ALTER TABLE "review_helpful_votes" DROP CONSTRAINT "fk_review_helpful_votes__review_id"`,
    );
    await queryRunner.query(`DROP INDEX "public"."uq_review_reports__review_id_reporter_account_id"`);
    await queryRunner.query(`DROP INDEX "public"."ix_review_reports__open_review_id"`);
    await queryRunner.query(`DROP TABLE "review_reports"`);
    await queryRunner.query(`DROP INDEX "public"."uq_review_replies__review_id"`);
    await queryRunner.query(`DROP TABLE "review_replies"`);
    await queryRunner.query(`DROP INDEX "public"."ix_review_helpful_votes__account_id"`);
    await queryRunner.query(`DROP TABLE "review_helpful_votes"`);
    await queryRunner.query(`DROP INDEX "public"."uq_reviews__api_id_author_account_id"`);
    await queryRunner.query(`DROP INDEX "public"."ix_reviews__api_id_created_at"`);
    await queryRunner.query(`DROP INDEX "public"."ix_reviews__api_id_helpful_count"`);
    await queryRunner.query(`DROP INDEX "public"."ix_reviews__api_id_rating"`);
    await queryRunner.query(`DROP INDEX "public"."ix_reviews__author_account_id"`);
    await queryRunner.query(`DROP TABLE "reviews"`);
    await queryRunner.query(`DROP TABLE "review_aggregates"`);
  }
}
