/**
 * What every `npm run bench:*` script shares: the PostgreSQL admin connection for scratch databases
 * and the statistics they print.
 */
import { MIGRATIONS } from '@migrations';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';

/** Where benches create and drop their scratch databases (BENCH_ADMIN_DATABASE_URL). */
export const ADMIN_URL =
  process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The URL of database `name` on the admin connection's server. */
export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs `work` on a fresh admin connection (CREATE/DROP DATABASE cannot run in a pool's transaction). */
export async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** One admin statement. */
export async function admin(sql: string): Promise<void> {
  await withAdmin((client) => client.query(sql));
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The nearest-rank `p`-th percentile (0–100) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** A process's name and its CPU time (utime + stime, in /proc's 100 Hz ticks); null once it is gone. */
function procStat(pid: number | string): { comm: string; ticks: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      ticks: Number(fields[11]) + Number(fields[12]),
    };
  } catch {
    return null;
  }
}

/** CPU time in ms of the given processes (those gone count 0). */
export function cpuMsOf(pids: readonly (number | string)[]): number {
  return pids.reduce<number>((ms, pid) => ms + (procStat(pid)?.ticks ?? 0) * 10, 0);
}

/** CPU time in ms of every process whose name is `comm`. */
export function cpuMsOfProcessesNamed(comm: string): number {
  return cpuMsOf(readdirSync('/proc').filter((pid) => /^\d+$/.test(pid) && procStat(pid)?.comm === comm));
}

/** The machine's CPU ticks so far, all cores (/proc/stat): in all, and idle (idle + iowait). */
export function machineTicks(): { total: number; idle: number } {
  const fields = readFileSync('/proc/stat', 'utf8')
    .split('\n', 1)[0]
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  return { total: fields.reduce((sum, n) => sum + n, 0), idle: fields[3] + fields[4] };
}

/**
 * The node flags of `npm run start:<app>` in package.json (`node [--flag …] dist/apps/<app>/main.js`):
 * what operators run (docs/adr/0006 and 0012).
 */
export function startScriptNodeFlags(app: 'gateway' | 'worker'): string[] {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const match = new RegExp(`^node((?: --[^ ]+)*) dist/apps/${app}/main\\.js$`).exec(
    pkg.scripts[`start:${app}`] ?? '',
  );
  if (!match)
    throw new Error(`package.json "start:${app}" is not \`node [--flag …] dist/apps/${app}/main.js\``);
  return match[1].split(' ').filter(Boolean);
}

/** Runs every migration on scratch database `name` (created by the caller); answers its URL. */
export async function migrateDatabase(name: string): Promise<string> {
  const url = databaseUrl(name);
  const migrator = new DataSource({
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
  });
  await migrator.initialize();
  try {
    await migrator.runMigrations({ transaction: 'each' });
  } finally {
    await migrator.destroy();
  }
  return url;
}
