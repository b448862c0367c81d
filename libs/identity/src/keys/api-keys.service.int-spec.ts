import { AppError, sha256Hex } from '@app/common';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AccountsService } from '../accounts/accounts.service';
import { ApplicationsService } from '../applications/applications.service';
import { createIdentityTestContext, createTestConsumer } from '../testing';
import { ApiKeyEntity } from './api-key.entity';
import { ApiKeysService } from './api-keys.service';
import { KeyResolver } from './key-resolver.service';

describe('ApiKeysService on PostgreSQL and Redis', () => {
  let context: INestApplicationContext;
  let keys: ApiKeysService;

  beforeAll(async () => {
    context = await createIdentityTestContext();
    keys = context.get(ApiKeysService);
  });

  afterAll(async () => {
    await context?.close();
  });

  const rowOf = (id: string) => context.get(DataSource).getRepository(ApiKeyEntity).findOneByOrFail({ id });

  it('signs up, creates a key, rotates and revokes it, storing only hashes', async () => {
    const signedUp = await context.get(AccountsService).signUp(
      {
        email: `lifecycle-${process.pid}-${Date.now()}@example.com`,
        password: 'correct horse battery staple',
      },
      '192.0.2.10',
    );
    const accountId = signedUp.account.id;
    const appId = signedUp.application.id;
    expect(signedUp.key.secret).toMatch(/^mp_test_/);

    const created = await keys.create(accountId, appId, {
      label: 'Worker',
      mode: 'live',
      scopes: ['api:geo'],
      ipAllowlist: ['192.0.2.0/24'],
    });
    const stored = await rowOf(created.key.id);
    expect(stored.keyHash).toBe(sha256Hex(created.secret));
    expect(JSON.stringify(stored)).not.toContain(created.secret);
    expect(stored).toMatchObject({ prefix: 'mp_live_', lastFour: created.secret.slice(-4), revokedAt: null });

    const rotated = await keys.rotate(accountId, created.key.id, { gracePeriodSeconds: 120 });
    expect(rotated.key).toMatchObject({
      label: 'Worker',
      kind: 'secret',
      mode: 'live',
      scopes: ['api:geo'],
      ipAllowlist: ['192.0.2.0/24'],
      expiresAt: null,
    });
    expect(rotated.previous.replacedByKeyId).toBe(rotated.key.id);
    expect(rotated.previous.revokedAt!.getTime()).toBeGreaterThan(Date.now() + 100_000);
    expect((await rowOf(rotated.key.id)).keyHash).toBe(sha256Hex(rotated.secret));

    const revoked = await keys.revoke(accountId, created.key.id);
    expect(revoked.revokedAt!.getTime()).toBeLessThanOrEqual(Date.now());
    const resolver = context.get(KeyResolver);
    const answer = async (secret: string) => resolver.resolve(secret);
    await expect(answer(rotated.secret)).resolves.toMatchObject({ ok: true });
    await keys.revoke(accountId, rotated.key.id);
    for (let i = 0; i < 100 && (await answer(rotated.secret)).ok; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(answer(rotated.secret)).resolves.toEqual({ ok: false, code: 'key_revoked' });
    await expect(answer(created.secret)).resolves.toEqual({ ok: false, code: 'key_revoked' });
    await expect(answer(signedUp.key.secret)).resolves.toMatchObject({ ok: true });
  });

  it('lets exactly one of two concurrent rotations of a key win', async () => {
    const { account, application } = await createTestConsumer(context, 'race');
    const { key } = await keys.create(account.id, application.id, {});
    const results = await Promise.allSettled([
      keys.rotate(account.id, key.id, { gracePeriodSeconds: 0 }),
      keys.rotate(account.id, key.id, { gracePeriodSeconds: 0 }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failure = results.find((r) => r.status === 'rejected');
    expect(failure?.reason).toBeInstanceOf(AppError);
    expect((failure?.reason as AppError).code).toBe('conflict');
    expect(await keys.list(account.id, application.id)).toHaveLength(2);
  });

  it('uses the configured default grace period when none is given', async () => {
    const { account, application } = await createTestConsumer(context, 'grace');
    const { key } = await keys.create(account.id, application.id, {});
    const before = Date.now();
    const rotated = await keys.rotate(account.id, key.id);
    const graceMs = rotated.previous.revokedAt!.getTime() - before;
    expect(graceMs).toBeGreaterThan(24 * 3600_000 - 5_000);
    expect(graceMs).toBeLessThanOrEqual(24 * 3600_000 + 5_000);
  });

  it('refuses out-of-range grace periods and invalid settings with validation_failed, in the lib itself', async () => {
    const { account, application } = await createTestConsumer(context, 'invalid');
    const { key } = await keys.create(account.id, application.id, {});
    for (const gracePeriodSeconds of [-1, 1.5, 30 * 24 * 3600 + 1]) {
      await expect(keys.rotate(account.id, key.id, { gracePeriodSeconds })).rejects.toMatchObject({
        code: 'validation_failed',
      });
    }
    await expect(
      keys.create(account.id, application.id, { ipAllowlist: ['10.0.0.1/8'] }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(
      keys.create(account.id, application.id, { expiresAt: new Date(Date.now() - 1000) }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(
      keys.update(account.id, key.id, { allowedOrigins: ['https://a.example'] }),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    expect(await keys.list(account.id, application.id)).toHaveLength(1);
  });

  it('deletes an application and revokes all its keys in one transaction; other applications keep theirs', async () => {
    const { account, application } = await createTestConsumer(context, 'delete');
    const other = await context.get(ApplicationsService).create(account.id, { name: 'Keeps its keys' });
    const doomed = [
      await keys.create(account.id, application.id, {}),
      await keys.create(account.id, application.id, {}),
    ];
    const kept = await keys.create(account.id, other.id, {});
    await context.get(ApplicationsService).delete(account.id, application.id);
    for (const { key } of doomed) expect((await rowOf(key.id)).revokedAt).not.toBeNull();
    expect((await rowOf(kept.key.id)).revokedAt).toBeNull();
    await expect(keys.list(account.id, application.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(keys.create(account.id, application.id, {})).rejects.toMatchObject({ code: 'not_found' });
    await expect(context.get(ApplicationsService).delete(account.id, application.id)).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
