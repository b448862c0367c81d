import type { MigrationInterface, QueryRunner } from 'typeorm';
import { MeteringOneStatementApply1795872600000 } from './1795872600000-metering-one-statement-apply';

/**
 * Metering's one-statement batch apply (libs/metering `UsageRepository.applyFreshBatch`) now writes
 * the request log and the batch row with plain inserts: a request id or batch id seen before is a
 * unique violation that rolls the statement back, so `metering_require_all_fresh` (and the count of
 * rows written that it compared) is no longer called. Down restores it.
 */
export class MeteringFreshApplyByUniqueViolation1795877400000 implements MigrationInterface {
  name = 'MeteringFreshApplyByUniqueViolation1795877400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await new MeteringOneStatementApply1795872600000().down(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await new MeteringOneStatementApply1795872600000().up(queryRunner);
  }
}
