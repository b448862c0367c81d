import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rollupDeltasFunction } from './1795874400000-usage-hour-day-rollups';

/**
 * Metering's one-statement batch apply (libs/metering `UsageRepository.applyFreshBatch`) appends
 * its rollup deltas to `usage_rollup_deltas` itself — they are exactly the batch's aggregated rows —
 * and sets `metering.deltas_logged` for its transaction, so the statement trigger skips its inserts
 * and updates. The trigger's update branch (new − old per row, the histogram element by element)
 * took about a fifth of PostgreSQL's time per batch (bench:metering). Every other writer, and every
 * delete, is still logged by the trigger.
 */
export class MeteringDeltasFromApply1795876200000 implements MigrationInterface {
  name = 'MeteringDeltasFromApply1795876200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(rollupDeltasFunction('CREATE OR REPLACE', true));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(rollupDeltasFunction('CREATE OR REPLACE'));
  }
}
