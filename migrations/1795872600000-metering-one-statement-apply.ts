import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The check that lets metering apply a usage batch in ONE statement (libs/metering
 * `UsageRepository.applyFreshBatch`): it raises SQLSTATE PM409, rolling the whole statement back,
 * unless every request of the batch was new and the batch id was claimed. The caller then applies
 * the batch the careful way (claim, log the new requests, count only those).
 */
export class MeteringOneStatementApply1795872600000 implements MigrationInterface {
  name = 'MeteringOneStatementApply1795872600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE FUNCTION "metering_require_all_fresh"(fresh bigint, expected bigint, claimed bigint)
      RETURNS bigint LANGUAGE plpgsql AS $$
      BEGIN
        IF fresh <> expected OR claimed <> 1 THEN
          RAISE EXCEPTION USING ERRCODE = 'PM409',
            MESSAGE = format('usage batch not all fresh (%s of %s requests new, claimed %s)', fresh, expected, claimed);
        END IF;
        RETURN fresh;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION "metering_require_all_fresh"(bigint, bigint, bigint)`);
  }
}
