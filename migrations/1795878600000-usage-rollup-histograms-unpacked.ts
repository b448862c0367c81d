import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A minute rollup's histogram (24 `int`s, 120 bytes) was stored with PostgreSQL's 1-byte "short"
 * varlena header, so every `latency_histogram[i]` of the usage upsert's bucket-by-bucket sum
 * copied the whole array into an aligned one first: 48 copies per updated row (the stored row and
 * EXCLUDED), about a tenth of PostgreSQL's time applying a batch (perf: `detoast_attr`). PLAIN
 * storage keeps the 4-byte header (and never compresses or moves the 120 bytes out of line), so the
 * subscripts read the array in place. Rows written before keep their short header until their next
 * update rewrites them.
 */
export class UsageRollupHistogramsUnpacked1795878600000 implements MigrationInterface {
  name = 'UsageRollupHistogramsUnpacked1795878600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "usage_minute_rollups" ALTER COLUMN "latency_histogram" SET STORAGE PLAIN`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "usage_minute_rollups" ALTER COLUMN "latency_histogram" SET STORAGE EXTENDED`,
    );
  }
}
