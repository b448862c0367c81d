import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ADMIN_DATABASE_URL, TEST_REDIS_URL, databaseUrlFor, newRunId } from './test-run';

/**
 * Runs once per `jest` invocation: creates this run's database (migrated from empty) and picks its
 * Redis prefix, then hands both to every test worker through the environment.
 */
export default async function globalSetup(): Promise<void> {
  const runId = newRunId();
  const database = `portico_test_${runId}`;
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  const url = databaseUrlFor(database);
  const dataSource = new DataSource({ type: 'postgres', url, migrations: MIGRATIONS, migrationsTableName: 'typeorm_migrations' });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();

  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  await redis.quit();

  Object.assign(process.env, {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: `portico-test-${runId}`,
    PORTICO_TEST_DATABASE: database,
    SESSION_SECRET: 'test-session-secret-that-is-long-enough-0123456789',
    // a fresh key per run: secrets encrypted at rest (upstream credentials, proxy secrets) live as long as the run's database
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    PUBLIC_URL: 'http://localhost:3000',
    GATEWAY_URL: 'http://localhost:8080',
    // every test request comes from 127.0.0.1: the per-IP throttles get their own tests with their own limits
    AUTH_SIGNUPS_PER_IP_PER_HOUR: '100000',
    AUTH_LOGINS_PER_IP_PER_15_MIN: '100000',
  });
}
