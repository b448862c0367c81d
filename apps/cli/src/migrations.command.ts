import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';

export interface SchemaDiff {
  up: string[];
  down: string[];
}

/** What TypeORM would change to make the database match the entities (empty = no drift). */
export async function schemaDiff(dataSource: DataSource): Promise<SchemaDiff> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return {
    up: sql.upQueries.map((q) => q.query),
    down: sql.downQueries.map((q) => q.query).reverse(),
  };
}

function pascal(kebab: string): string {
  return kebab
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function quote(sql: string): string {
  return '`' + sql.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${') + '`';
}

/** Writes `migrations/<timestamp>-<name>.ts` from the diff and appends it to migrations/index.ts. */
export function writeMigration(root: string, name: string, diff: SchemaDiff, timestamp = Date.now()): string {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) throw new Error('Migration name must be kebab-case, e.g. add-plans');
  const className = `${pascal(name)}${timestamp}`;
  const file = `${timestamp}-${name}`;
  const body = (queries: string[]) => queries.map((q) => `    await queryRunner.query(${quote(q)});`).join('\n');
  const source = `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${body(diff.up)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${body(diff.down)}
  }
}
`;
  writeFileSync(join(root, 'migrations', `${file}.ts`), source);
  const indexPath = join(root, 'migrations', 'index.ts');
  let index = readFileSync(indexPath, 'utf8');
  const lastImport = index.lastIndexOf('\nimport ') + 1;
  const afterLastImport = index.indexOf('\n', lastImport) + 1;
  index = `${index.slice(0, afterLastImport)}import { ${className} } from './${file}';\n${index.slice(afterLastImport)}`;
  index = index.replace(/= \[([^\]]*)\];/, (_m, list: string) => {
    const items = list.split(',').map((s) => s.trim()).filter(Boolean).concat(className);
    return `= [\n  ${items.join(',\n  ')},\n];`;
  });
  writeFileSync(indexPath, index);
  return file;
}
