import 'reflect-metadata';
import { EnvValidationError } from '@app/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { ADMIN_USAGE, runAdminCommand } from './admin.command';
import { CliModule } from './cli.module';
import { DEMO_USAGE, runDemoCommand } from './demo.command';
import { REINDEX_USAGE, runReindexCommand } from './reindex.command';
import { schemaDiff, writeMigration } from './migrations.command';

const USAGE = `Usage: portico <command>

  migrate run              apply pending migrations
  migrate revert           revert the last applied migration
  migrate generate <name>  write a migration for the difference between entities and database
  migrate check            exit 1 if the entities and the migrated database differ (drift)
${ADMIN_USAGE}${DEMO_USAGE}${REINDEX_USAGE}`;

async function main(argv: string[]): Promise<number> {
  const [command, sub, arg] = argv;
  if (command === 'seed-admin' || command === 'grant-admin') return runAdminCommand(command, sub);
  if (command === 'seed-demo') return runDemoCommand();
  if (command === 'reindex') return runReindexCommand();
  if (command !== 'migrate') {
    process.stdout.write(USAGE);
    return command === undefined || command === 'help' ? 0 : 2;
  }
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(), { logger: ['error', 'warn'] });
  try {
    const dataSource = app.get(DataSource);
    switch (sub) {
      case 'run': {
        const applied = await dataSource.runMigrations({ transaction: 'each' });
        process.stdout.write(applied.length ? applied.map((m) => `applied ${m.name}\n`).join('') : 'database is up to date\n');
        return 0;
      }
      case 'revert':
        await dataSource.undoLastMigration({ transaction: 'each' });
        process.stdout.write('reverted the last migration\n');
        return 0;
      case 'generate': {
        if (!arg) throw new Error('migrate generate needs a kebab-case name, e.g. add-plans');
        const diff = await schemaDiff(dataSource);
        if (diff.up.length === 0) {
          process.stdout.write('no changes: entities and database agree\n');
          return 0;
        }
        const file = writeMigration(process.cwd(), arg, diff);
        process.stdout.write(`wrote migrations/${file}.ts (${diff.up.length} statements); read it before committing\n`);
        return 0;
      }
      case 'check': {
        const diff = await schemaDiff(dataSource);
        if (diff.up.length === 0) {
          process.stdout.write('no drift\n');
          return 0;
        }
        process.stderr.write(`schema drift: entities need ${diff.up.length} statements:\n${diff.up.join(';\n')}\n`);
        return 1;
      }
      default:
        process.stdout.write(USAGE);
        return 2;
    }
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof EnvValidationError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
