import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * migrations/index.ts is the list TypeORM runs (STYLE.md: one DataSource, migrations in order).
 * A migration file that is not imported there and listed in MIGRATIONS would silently never run.
 */

const DIR = __dirname;
const INDEX = readFileSync(join(DIR, 'index.ts'), 'utf8');

function migrationFiles(): string[] {
  return readdirSync(DIR)
    .filter(
      (file) => file.endsWith('.ts') && file !== 'index.ts' && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(file),
    )
    .sort();
}

/** Names of the classes listed in `export const MIGRATIONS … = [ … ];`. */
function listedClasses(): string[] {
  const list = /export const MIGRATIONS\b[^\n]*?=\s*\[([^\]]*)\];/.exec(INDEX);
  if (!list) throw new Error('migrations/index.ts has no `export const MIGRATIONS = [...]`');
  return list[1]
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function exportedClass(file: string): string | undefined {
  return /export class (\w+)/.exec(readFileSync(join(DIR, file), 'utf8'))?.[1];
}

describe('migrations/index.ts', () => {
  const files = migrationFiles();

  it('finds the migration files', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('names %s <timestamp>-<kebab-name>.ts', (file) => {
    expect(file).toMatch(/^\d{13}-[a-z0-9]+(-[a-z0-9]+)*\.ts$/);
  });

  it.each(files)('imports %s', (file) => {
    const className = exportedClass(file);
    expect(className).toBeDefined();
    const module = `./${file.replace(/\.ts$/, '')}`;
    expect(INDEX).toMatch(
      new RegExp(
        `import \\{[^}]*\\b${className}\\b[^}]*\\} from '${module.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}';`,
      ),
    );
  });

  it.each(files)('lists the class of %s in MIGRATIONS', (file) => {
    expect(listedClasses()).toContain(exportedClass(file));
  });

  it('lists MIGRATIONS in timestamp order, each once', () => {
    const timestamps = listedClasses().map((name) => Number(/(\d{13})$/.exec(name)?.[1]));
    expect(timestamps.every(Number.isFinite)).toBe(true);
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    expect(new Set(timestamps).size).toBe(timestamps.length);
  });

  it('lists nothing that has no file', () => {
    const classes = files.map(exportedClass);
    expect(listedClasses().filter((name) => !classes.includes(name))).toEqual([]);
  });
});
