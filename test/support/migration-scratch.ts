import { Client } from 'pg';
import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ADMIN_DATABASE_URL, databaseUrlFor } from './test-run';

/**
 * Runs `work` on a scratch database migrated up to (not including) `migration`, with a query
 * runner to run that migration's `up` and `down` by hand; drops the database afterwards.
 */
export async function beforeMigration(
  migration: new () => MigrationInterface,
  work: (runner: QueryRunner) => Promise<void>,
): Promise<void> {
  const name = `portico_scratch_${process.pid}_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const dataSource = new DataSource({
    type: 'postgres',
    url: databaseUrlFor(name),
    migrations: MIGRATIONS.slice(0, MIGRATIONS.indexOf(migration)),
    migrationsTableName: 'typeorm_migrations',
  });
  try {
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    const runner = dataSource.createQueryRunner();
    try {
      await work(runner);
    } finally {
      await runner.release();
    }
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}
