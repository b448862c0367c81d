import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Request ids (the request log's primary key) compare byte by byte: under the database's default
 * collation (`C.UTF-8` here) every comparison of the key's btree went through `strcoll`, about a
 * twentieth of PostgreSQL's CPU applying a usage batch (bench:metering). Request ids are ASCII
 * (`[A-Za-z0-9._:-]`), for which both orders agree, so nothing reads differently. Rebuilds the
 * primary key's index: on a large request log, run it at a quiet time.
 */
export class UsageRequestIdCollateC1795879200000 implements MigrationInterface {
  name = 'UsageRequestIdCollateC1795879200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "usage_requests" ALTER COLUMN "request_id" TYPE character varying(64) COLLATE "C"`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "usage_requests" ALTER COLUMN "request_id" TYPE character varying(64) COLLATE "default"`,
    );
  }
}
