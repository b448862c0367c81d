import type { INestApplication } from '@nestjs/common';
import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { TEST_REDIS_URL } from './test-run';

export interface IsolatedApi {
  app: INestApplication;
  /** This instance's REDIS_PREFIX: its throttle counters are its own. */
  redisPrefix: string;
  close(): Promise<void>;
}

/**
 * Boots an api with its own REDIS_PREFIX (and any env overrides) on the run's database. Its login
 * and sign-up throttle counters, including the per-IP ones every test shares (all requests come
 * from 127.0.0.1), are separate from every other suite's; `close()` deletes its keys.
 *
 * createApiApp(rawEnv) replaces process.env entirely, so the overrides are merged onto it here;
 * an override set to `undefined` unsets the variable.
 */
export async function startIsolatedApi(
  tag: string,
  overrides: Record<string, string | undefined> = {},
): Promise<IsolatedApi> {
  const redisPrefix = `${process.env.REDIS_PREFIX ?? 'portico-test'}.${tag}-${randomBytes(3).toString('hex')}`;
  const app = await createApiApp({ ...process.env, REDIS_PREFIX: redisPrefix, ...overrides });
  await app.init();
  return {
    app,
    redisPrefix,
    async close() {
      await app.close();
      await deleteKeys(`${redisPrefix}:*`);
    },
  };
}

async function deleteKeys(pattern: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
