import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import globalTeardown from './global-teardown';
import { ADMIN_DATABASE_URL, TEST_REDIS_URL } from './test-run';

/**
 * The run's cleanup (jest globalTeardown) on scratch names of its own: it drops the database and
 * deletes the keys under the prefix and the prefixes suites derive from it, and nothing else.
 */
describe('the test run teardown', () => {
  const saved = { database: process.env.PORTICO_TEST_DATABASE, prefix: process.env.REDIS_PREFIX };
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  const redis = new Redis(TEST_REDIS_URL);

  beforeAll(() => admin.connect());

  afterAll(async () => {
    process.env.PORTICO_TEST_DATABASE = saved.database;
    process.env.REDIS_PREFIX = saved.prefix;
    await admin.end();
    await redis.quit();
  });

  it("drops the run's database and deletes the keys of its prefix and of the prefixes derived from it, not a look-alike's", async () => {
    const id = randomBytes(4).toString('hex');
    const database = `portico_test_teardown_${id}`;
    const prefix = `portico-test-teardown-${id}`;
    await admin.query(`CREATE DATABASE "${database}"`);
    const kept = [`${prefix}x:queue`, `portico-test-other-${id}:queue`];
    await redis.mset(`${prefix}:bull:metering:1`, '1', `${prefix}.billing-ab12:bull:x`, '1', ...kept.flatMap((k) => [k, '1']));

    process.env.PORTICO_TEST_DATABASE = database;
    process.env.REDIS_PREFIX = prefix;
    try {
      await globalTeardown();
    } finally {
      process.env.PORTICO_TEST_DATABASE = saved.database;
      process.env.REDIS_PREFIX = saved.prefix;
    }

    const databases = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    expect(databases.rowCount).toBe(0);
    expect(await redis.keys(`${prefix}*`)).toEqual([`${prefix}x:queue`]);
    expect(await redis.exists(...kept)).toBe(2);
    await redis.del(...kept);
  });

  it("touches nothing whose names are not a test run's (an operator's database and prefix)", async () => {
    const id = randomBytes(4).toString('hex');
    const database = `portico_keep_${id}`;
    const key = `portico-live-${id}:keep`;
    await admin.query(`CREATE DATABASE "${database}"`);
    await redis.set(key, '1');
    process.env.PORTICO_TEST_DATABASE = database;
    process.env.REDIS_PREFIX = `portico-live-${id}`;
    try {
      await globalTeardown();
    } finally {
      process.env.PORTICO_TEST_DATABASE = saved.database;
      process.env.REDIS_PREFIX = saved.prefix;
    }
    expect((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount).toBe(1);
    expect(await redis.exists(key)).toBe(1);
    await admin.query(`DROP DATABASE "${database}"`);
    await redis.del(key);
  });
});
