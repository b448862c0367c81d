import { NestFactory } from '@nestjs/core';
import { MIGRATIONS } from '@migrations';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { databaseUrlFor, ADMIN_DATABASE_URL } from '../../../test/support/test-run';
import { CliModule } from './cli.module';
import { schemaDiff } from './migrations.command';

describe('migrations', () => {
  it('leave no drift: the migrated database matches every entity of every lib', async () => {
    const app = await NestFactory.createApplicationContext(CliModule.forRoot(), { logger: false });
    try {
      const diff = await schemaDiff(app.get(DataSource));
      expect(diff.up).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('revert all the way down and apply again on a scratch database', async () => {
    const name = `portico_scratch_${process.pid}_${Date.now().toString(36)}`;
    const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    const dataSource = new DataSource({ type: 'postgres', url: databaseUrlFor(name), migrations: MIGRATIONS, migrationsTableName: 'typeorm_migrations' });
    try {
      await dataSource.initialize();
      await dataSource.runMigrations({ transaction: 'each' });
      for (let i = 0; i < MIGRATIONS.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
      const tables = await dataSource.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'typeorm_migrations'`,
      );
      expect(tables).toEqual([]);
      expect(await dataSource.runMigrations({ transaction: 'each' })).toHaveLength(MIGRATIONS.length);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});
