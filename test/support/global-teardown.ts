import Redis from 'ioredis';
import { Client } from 'pg';
import { ADMIN_DATABASE_URL, TEST_REDIS_URL } from './test-run';

/**
 * Drops this run's database and deletes every Redis key under its prefix, including the prefixes
 * suites derive from it for an api or worker of their own (`<prefix>.<tag>-<hex>:…`).
 */
export default async function globalTeardown(): Promise<void> {
  const database = process.env.PORTICO_TEST_DATABASE;
  const prefix = process.env.REDIS_PREFIX;
  if (database?.startsWith('portico_test_')) {
    const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
  if (prefix?.startsWith('portico-test-')) {
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}[:.]*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    await redis.quit();
  }
}
