import { randomUUID } from 'node:crypto';
import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type Redis from 'ioredis';
import { AppError } from '../errors/app-error';
import { CoreEnv } from '../config/core.env';
import { CoreModule } from '../core.module';
import { REDIS, RedisKeys } from '../redis/redis-keys';
import { IdempotencyModule } from './idempotency.module';
import { IdempotencyService, type IdempotentResponse } from './idempotency.service';

const SECRET = 'idempotency-test-secret-0123456789abcdef';

@Module({
  imports: [
    CoreModule.forRoot({ app: 'idempotency-test', env: CoreEnv, envFragments: [], migrations: [] }),
    IdempotencyModule.forRootAsync({ useFactory: () => ({ secret: SECRET, scope: () => undefined }) }),
  ],
})
class IdempotencyTestModule {}

describe('IdempotencyService on Redis', () => {
  let context: INestApplicationContext;
  let service: IdempotencyService;

  beforeAll(async () => {
    context = await NestFactory.createApplicationContext(IdempotencyTestModule, { logger: false });
    service = context.get(IdempotencyService);
  });

  afterAll(async () => {
    await context?.close();
  });

  const request = (overrides: Partial<{ scope: string; key: string; fingerprint: string }> = {}) => ({
    scope: 'account-1',
    key: randomUUID(),
    fingerprint: 'request-a',
    ...overrides,
  });

  it('runs the work once and replays its response for the same key and request', async () => {
    const req = request();
    let runs = 0;
    const work = async (): Promise<IdempotentResponse> => ({
      status: 201,
      body: { run: ++runs, secret: 'mp_test_shh' },
    });
    await expect(service.execute(req, work)).resolves.toEqual({
      replayed: false,
      response: { status: 201, body: { run: 1, secret: 'mp_test_shh' } },
    });
    await expect(service.execute(req, work)).resolves.toEqual({
      replayed: true,
      response: { status: 201, body: { run: 1, secret: 'mp_test_shh' } },
    });
    expect(runs).toBe(1);
  });

  it('stores the response encrypted, never in clear', async () => {
    const req = request();
    await service.execute(req, async () => ({ status: 201, body: { secret: 'mp_live_the-secret-value' } }));
    const redis = context.get<Redis>(REDIS);
    const slots = await redis.keys(context.get(RedisKeys).key('idempotency', '*'));
    const values = await Promise.all(slots.map((slot) => redis.get(slot)));
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) expect(value).not.toContain('the-secret-value');
  });

  it('answers idempotency_conflict for the same key with another request, and while the first still runs', async () => {
    const req = request();
    let release!: () => void;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const first = service.execute(req, () => {
      started();
      return new Promise<IdempotentResponse>(
        (resolve) => (release = () => resolve({ status: 201, body: 1 })),
      );
    });
    await running;
    await expect(service.execute(req, async () => ({ status: 201, body: 2 }))).rejects.toMatchObject({
      code: 'idempotency_conflict',
      extensions: { reason: 'in_progress' },
    });
    release();
    await first;
    const conflict = service.execute({ ...req, fingerprint: 'request-b' }, async () => ({
      status: 201,
      body: 3,
    }));
    await expect(conflict).rejects.toBeInstanceOf(AppError);
    await expect(conflict).rejects.toMatchObject({
      code: 'idempotency_conflict',
      extensions: { reason: 'different_request' },
    });
  });

  it('keeps scopes apart and forgets failures', async () => {
    const key = randomUUID();
    await service.execute(request({ key, scope: 'a' }), async () => ({ status: 201, body: 'a' }));
    await expect(
      service.execute(request({ key, scope: 'b' }), async () => ({ status: 201, body: 'b' })),
    ).resolves.toEqual({
      replayed: false,
      response: { status: 201, body: 'b' },
    });

    const failing = request();
    await expect(service.execute(failing, async () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    await expect(
      service.execute(failing, async () => ({ status: 201, body: 'second try' })),
    ).resolves.toMatchObject({ replayed: false });
  });
});
