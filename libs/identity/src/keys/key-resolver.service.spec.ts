import { Clock, sha256Hex } from '@app/common';
import type { ApiKeyEntity } from './api-key.entity';
import { generateApiKey } from './api-key.format';
import type { ApiKeyRepository, KeyForResolution } from './api-key.repository';
import type { KeyInvalidationService } from './key-invalidation.service';
import { KeyResolver } from './key-resolver.service';

const NOW = new Date('2026-03-01T12:00:00Z');

function keyRow(overrides: Partial<ApiKeyEntity> = {}): KeyForResolution {
  return {
    key: {
      id: 'key-1',
      accountId: 'account-1',
      applicationId: 'app-1',
      prefix: 'mp_live_',
      lastFour: 'AbCd',
      kind: 'secret',
      mode: 'live',
      scopes: [],
      ipAllowlist: [],
      allowedOrigins: [],
      expiresAt: null,
      revokedAt: null,
      ...overrides,
    } as ApiKeyEntity,
    applicationDeleted: false,
  };
}

/** A resolver on an in-memory store, listening (caching) as in production once subscribed. */
async function listeningResolver(rows: Map<string, KeyForResolution>) {
  const findByHash = jest.fn((hash: string) => Promise.resolve(rows.get(hash) ?? null));
  let invalidate: (hashes: string[]) => void = () => undefined;
  const invalidations = {
    onReconnect: jest.fn(),
    subscribe: jest.fn((listener: (hashes: string[]) => void) => {
      invalidate = listener;
      return Promise.resolve(() => undefined);
    }),
  } as unknown as KeyInvalidationService;
  const clock: Clock = { now: () => NOW };
  const resolver = new KeyResolver({ findByHash } as unknown as ApiKeyRepository, invalidations, clock);
  resolver.onModuleInit();
  await resolver.whenListening();
  return { resolver, findByHash, invalidate: (hashes: string[]) => invalidate(hashes) };
}

describe('KeyResolver.resolveCached', () => {
  const secret = generateApiKey('secret', 'live');
  const hash = sha256Hex(secret);

  it('answers a malformed key at once, without the store', async () => {
    const { resolver, findByHash } = await listeningResolver(new Map());
    expect(resolver.resolveCached('mp_live_not-a-key')).toEqual({ ok: false, code: 'invalid_api_key' });
    expect(findByHash).not.toHaveBeenCalled();
  });

  it('answers a miss with a promise of the load, and the next call synchronously from the cache', async () => {
    const { resolver, findByHash } = await listeningResolver(new Map([[hash, keyRow()]]));
    const miss = resolver.resolveCached(secret);
    expect(miss).toBeInstanceOf(Promise);
    await expect(miss).resolves.toMatchObject({
      ok: true,
      key: { keyId: 'key-1', display: 'mp_live_…AbCd' },
    });

    const hit = resolver.resolveCached(secret);
    expect(hit).not.toBeInstanceOf(Promise);
    expect(hit).toMatchObject({ ok: true, key: { keyId: 'key-1' } });
    expect(findByHash).toHaveBeenCalledTimes(1);
    // the async resolve reads the same cache
    await expect(resolver.resolve(secret)).resolves.toEqual(hit);
    expect(findByHash).toHaveBeenCalledTimes(1);
  });

  it('caches unknown keys too, and answers them synchronously', async () => {
    const { resolver, findByHash } = await listeningResolver(new Map());
    await expect(resolver.resolveCached(secret)).resolves.toEqual({ ok: false, code: 'invalid_api_key' });
    expect(resolver.resolveCached(secret)).toEqual({ ok: false, code: 'invalid_api_key' });
    expect(findByHash).toHaveBeenCalledTimes(1);
  });

  it('decides revocation and expiry against the given time on a cache hit', async () => {
    const rows = new Map([[hash, keyRow({ revokedAt: new Date(NOW.getTime() + 1000) })]]);
    const { resolver } = await listeningResolver(rows);
    await resolver.resolveCached(secret, NOW);
    expect(resolver.resolveCached(secret, NOW)).toMatchObject({ ok: true });
    expect(resolver.resolveCached(secret, new Date(NOW.getTime() + 1000))).toEqual({
      ok: false,
      code: 'key_revoked',
    });
  });

  it('loads again after an invalidation message, and answers the new row', async () => {
    const rows = new Map([[hash, keyRow()]]);
    const { resolver, findByHash, invalidate } = await listeningResolver(rows);
    await resolver.resolveCached(secret);
    rows.set(hash, keyRow({ revokedAt: NOW }));
    expect(resolver.resolveCached(secret)).toMatchObject({ ok: true }); // still cached

    invalidate([hash]);
    const reloaded = resolver.resolveCached(secret);
    expect(reloaded).toBeInstanceOf(Promise);
    await expect(reloaded).resolves.toEqual({ ok: false, code: 'key_revoked' });
    expect(resolver.resolveCached(secret)).toEqual({ ok: false, code: 'key_revoked' });
    expect(findByHash).toHaveBeenCalledTimes(2);
  });

  it('loads again after the cache is cleared (a reconnect)', async () => {
    const { resolver, findByHash } = await listeningResolver(new Map([[hash, keyRow()]]));
    await resolver.resolveCached(secret);
    resolver.clear();
    const reloaded = resolver.resolveCached(secret);
    expect(reloaded).toBeInstanceOf(Promise);
    await expect(reloaded).resolves.toMatchObject({ ok: true });
    expect(findByHash).toHaveBeenCalledTimes(2);
  });
});
