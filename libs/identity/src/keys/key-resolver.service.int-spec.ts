import { REDIS_SUBSCRIBER, sha256Hex } from '@app/common';
import type { INestApplicationContext } from '@nestjs/common';
import type Redis from 'ioredis';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ApplicationsService } from '../applications/applications.service';
import { createIdentityTestContext, createTestConsumer } from '../testing';
import { ApiKeyEntity } from './api-key.entity';
import { generateApiKey } from './api-key.format';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeysService } from './api-keys.service';
import { KeyResolver, type KeyResolution } from './key-resolver.service';

/** Polls until `accept` holds or `withinMs` passed; answers the last value read. */
async function within<T>(
  withinMs: number,
  read: () => Promise<T>,
  accept: (value: T) => boolean,
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const isRevoked = (resolution: KeyResolution) => !resolution.ok && resolution.code === 'key_revoked';

describe('KeyResolver across instances', () => {
  // two independent contexts = two gateway processes: own pools, own Redis connections, own caches
  let first: INestApplicationContext;
  let second: INestApplicationContext;

  beforeAll(async () => {
    [first, second] = await Promise.all([createIdentityTestContext(), createIdentityTestContext()]);
    await Promise.all([first.get(KeyResolver).whenListening(), second.get(KeyResolver).whenListening()]);
  });

  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
  });

  /** Changes the key row behind the resolvers' backs (no invalidation message), to prove they answer from cache. */
  async function revokeSilently(keyId: string): Promise<void> {
    await first.get(DataSource).getRepository(ApiKeyEntity).update({ id: keyId }, { revokedAt: new Date() });
  }

  it('drops a revoked key from every instance within a second', async () => {
    const { account, application } = await createTestConsumer(first, 'resolver');
    const { key, secret } = await first
      .get(ApiKeysService)
      .create(account.id, application.id, { mode: 'live' });
    const resolvers = [first.get(KeyResolver), second.get(KeyResolver)];
    for (const resolver of resolvers) {
      await expect(resolver.resolve(secret)).resolves.toMatchObject({
        ok: true,
        key: { keyId: key.id, accountId: account.id },
      });
    }
    // both caches are warm: a change that publishes nothing is not seen yet
    const sneaky = await first.get(ApiKeysService).create(account.id, application.id, {});
    for (const resolver of resolvers)
      await expect(resolver.resolve(sneaky.secret)).resolves.toMatchObject({ ok: true });
    await revokeSilently(sneaky.key.id);
    for (const resolver of resolvers)
      await expect(resolver.resolve(sneaky.secret)).resolves.toMatchObject({ ok: true });

    await first.get(ApiKeysService).revoke(account.id, key.id);

    const answers = await Promise.all(
      resolvers.map((resolver) => within(1000, () => resolver.resolve(secret), isRevoked)),
    );
    expect(answers).toEqual([
      { ok: false, code: 'key_revoked' },
      { ok: false, code: 'key_revoked' },
    ]);
  });

  it('drops every key of a deleted application from every instance', async () => {
    const { account, application } = await createTestConsumer(second, 'resolver-app');
    const keys = await Promise.all([
      second.get(ApiKeysService).create(account.id, application.id, {}),
      second.get(ApiKeysService).create(account.id, application.id, { kind: 'publishable' }),
    ]);
    const resolvers = [first.get(KeyResolver), second.get(KeyResolver)];
    for (const resolver of resolvers) {
      for (const { secret } of keys)
        await expect(resolver.resolve(secret)).resolves.toMatchObject({ ok: true });
    }
    await second.get(ApplicationsService).delete(account.id, application.id);
    for (const resolver of resolvers) {
      for (const { secret } of keys) {
        await expect(within(1000, () => resolver.resolve(secret), isRevoked)).resolves.toEqual({
          ok: false,
          code: 'key_revoked',
        });
      }
    }
  });

  it('reads a key and whether its application is deleted in one query', async () => {
    const { account, application } = await createTestConsumer(first, 'resolver-one-query');
    const { key, secret } = await first.get(ApiKeysService).create(account.id, application.id, {});
    const repository = first.get(ApiKeyRepository);
    const stored = await first.get(DataSource).getRepository(ApiKeyEntity).findOneByOrFail({ id: key.id });
    const queries = jest.spyOn(Client.prototype, 'query');
    try {
      // the whole record, as TypeORM reads it
      await expect(repository.findByHash(sha256Hex(secret))).resolves.toEqual({
        key: stored,
        applicationDeleted: false,
      });
      expect(queries).toHaveBeenCalledTimes(1);
    } finally {
      queries.mockRestore();
    }
    // another application of the same account deleted: not this key's
    const other = await first.get(ApplicationsService).create(account.id, { name: 'other app' });
    await first.get(ApplicationsService).delete(account.id, other.id);
    await expect(repository.findByHash(sha256Hex(secret))).resolves.toMatchObject({
      applicationDeleted: false,
    });
    await first.get(ApplicationsService).delete(account.id, application.id);
    await expect(repository.findByHash(sha256Hex(secret))).resolves.toMatchObject({
      applicationDeleted: true,
    });
  });

  it('clears the whole cache when its subscriber reconnects, since invalidations may have been lost', async () => {
    const { account, application } = await createTestConsumer(first, 'resolver-reconnect');
    const { key, secret } = await first.get(ApiKeysService).create(account.id, application.id, {});
    const resolver = second.get(KeyResolver);
    await expect(resolver.resolve(secret)).resolves.toMatchObject({ ok: true });
    await revokeSilently(key.id);
    await expect(resolver.resolve(secret)).resolves.toMatchObject({ ok: true });

    second.get<Redis>(REDIS_SUBSCRIBER).disconnect(true);

    await expect(within(5000, () => resolver.resolve(secret), isRevoked)).resolves.toEqual({
      ok: false,
      code: 'key_revoked',
    });
  });

  it('answers but does not cache a lookup that overlapped an invalidation of its key', async () => {
    const { account, application } = await createTestConsumer(first, 'resolver-race');
    const { key, secret } = await first.get(ApiKeysService).create(account.id, application.id, {});
    const resolver = first.get(KeyResolver);
    const repository = first.get(ApiKeyRepository);
    const read = repository.findByHash.bind(repository);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let readDone!: () => void;
    const readHappened = new Promise<void>((resolve) => (readDone = resolve));
    const spy = jest.spyOn(repository, 'findByHash').mockImplementationOnce(async (hash) => {
      const found = await read(hash); // the state before the revocation below
      readDone();
      await gate;
      return found;
    });
    try {
      const answer = resolver.resolve(secret);
      await readHappened;
      await revokeSilently(key.id);
      resolver.drop([sha256Hex(secret)]); // the invalidation message arrives while the lookup is in flight
      release();
      await expect(answer).resolves.toMatchObject({ ok: true });
      await expect(resolver.resolve(secret)).resolves.toEqual({ ok: false, code: 'key_revoked' });
    } finally {
      spy.mockRestore();
    }
  });

  it('rejects malformed keys and bad checksums without touching any store', async () => {
    const resolver = first.get(KeyResolver);
    const lookups = jest.spyOn(first.get(ApiKeyRepository), 'findByHash');
    try {
      const good = generateApiKey('secret', 'live');
      const tampered = `${good.slice(0, -1)}${good.endsWith('a') ? 'b' : 'a'}`;
      for (const junk of ['', 'Bearer x', 'mp_live_short', tampered, `${good} `]) {
        await expect(resolver.resolve(junk)).resolves.toEqual({ ok: false, code: 'invalid_api_key' });
      }
      expect(lookups).not.toHaveBeenCalled();

      // well-formed but unknown: one lookup, then answered from the negative cache
      await expect(resolver.resolve(good)).resolves.toEqual({ ok: false, code: 'invalid_api_key' });
      await expect(resolver.resolve(good)).resolves.toEqual({ ok: false, code: 'invalid_api_key' });
      expect(lookups).toHaveBeenCalledTimes(1);
    } finally {
      lookups.mockRestore();
    }
  });

  it('decides expiry and the end of a rotation grace at read time, with no message', async () => {
    const { account, application } = await createTestConsumer(first, 'resolver-time');
    const expiresAt = new Date(Date.now() + 3600_000);
    const expiring = await first.get(ApiKeysService).create(account.id, application.id, { expiresAt });
    const resolver = second.get(KeyResolver);
    await expect(resolver.resolve(expiring.secret)).resolves.toMatchObject({ ok: true, key: { expiresAt } });
    await expect(resolver.resolve(expiring.secret, new Date(expiresAt.getTime() + 1))).resolves.toEqual({
      ok: false,
      code: 'key_expired',
    });

    const rotated = await first
      .get(ApiKeysService)
      .rotate(account.id, expiring.key.id, { gracePeriodSeconds: 600 });
    const graceEnd = rotated.previous.revokedAt!;
    // once the rotation's invalidation arrived: the grace ends before the key's own expiry, so revoked, not expired
    await expect(within(1000, () => resolver.resolve(expiring.secret, graceEnd), isRevoked)).resolves.toEqual(
      { ok: false, code: 'key_revoked' },
    );
    await expect(resolver.resolve(expiring.secret, new Date(graceEnd.getTime() - 1))).resolves.toMatchObject({
      ok: true,
    });
    await expect(resolver.resolve(rotated.secret)).resolves.toMatchObject({
      ok: true,
      key: { keyId: rotated.key.id, expiresAt: null },
    });
  });
});
