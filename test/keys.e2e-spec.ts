import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { REDIS, RedisKeys } from '@app/common';
import { KeyResolver, type KeyResolution } from '@app/identity';
import type Redis from 'ioredis';
import { signUp, startApi, type SignedUp } from './support/api-client';

/** Polls `read` until `accept` holds, failing after `withinMs` (invalidations travel over Redis pub/sub). */
async function eventually<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  withinMs = 1000,
): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const rejectedWith = (code: string) => (resolution: KeyResolution) =>
  !resolution.ok && resolution.code === code;

describe('applications and keys over HTTP', () => {
  let app: INestApplication;
  let resolver: KeyResolver;
  let user: SignedUp;
  let appId: string;

  const post = (url: string, body: object = {}, idempotencyKey?: string) => {
    const req = user.agent.post(url).set('X-CSRF-Token', user.csrfToken);
    if (idempotencyKey) req.set('Idempotency-Key', idempotencyKey);
    return req.send(body);
  };
  const patch = (url: string, body: object) =>
    user.agent.patch(url).set('X-CSRF-Token', user.csrfToken).send(body);

  beforeAll(async () => {
    app = await startApi();
    resolver = app.get(KeyResolver);
    await resolver.whenListening();
    user = await signUp(app, 'keys');
    appId = user.body.application.id;
  });

  afterAll(async () => {
    await app.close();
  });

  it('signs up, creates a key, rotates it with a grace period, revokes it, and key resolution follows every step', async () => {
    const first = user.body.key.secret;
    await expect(resolver.resolve(first)).resolves.toMatchObject({
      ok: true,
      key: { keyId: user.body.key.id, applicationId: appId },
    });

    const created = await post(`/v1/apps/${appId}/keys`, {
      label: 'Backend',
      mode: 'live',
      scopes: ['api:weather', 'api:weather'],
      ipAllowlist: ['203.0.113.7', '2001:DB8::/32'],
    }).expect(201);
    expect(created.body).toMatchObject({
      label: 'Backend',
      kind: 'secret',
      mode: 'live',
      scopes: ['api:weather'],
      ipAllowlist: ['203.0.113.7/32', '2001:db8::/32'],
      status: 'active',
    });
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^mp_live_[0-9A-Za-z]{38}$/);
    expect(created.body.display).toBe(`mp_live_…${secret.slice(-4)}`);
    await expect(resolver.resolve(secret)).resolves.toEqual({
      ok: true,
      key: {
        keyId: created.body.id,
        accountId: user.accountId,
        applicationId: appId,
        display: created.body.display,
        kind: 'secret',
        mode: 'live',
        scopes: ['api:weather'],
        ipAllowlist: ['203.0.113.7/32', '2001:db8::/32'],
        allowedOrigins: [],
        expiresAt: null,
      },
    });

    const before = Date.now();
    const rotated = await post(`/v1/keys/${created.body.id}/rotate`, { gracePeriodSeconds: 3600 }).expect(
      201,
    );
    const replacement: string = rotated.body.secret;
    expect(replacement).not.toBe(secret);
    expect(rotated.body).toMatchObject({
      label: 'Backend',
      kind: 'secret',
      mode: 'live',
      scopes: ['api:weather'],
      ipAllowlist: ['203.0.113.7/32', '2001:db8::/32'],
    });
    expect(rotated.body.previousKey).toMatchObject({
      id: created.body.id,
      status: 'rotating',
      replacedByKeyId: rotated.body.id,
    });
    const graceEnd = Date.parse(rotated.body.previousKey.revokedAt);
    expect(graceEnd).toBeGreaterThanOrEqual(before + 3600_000 - 1000);
    expect(graceEnd).toBeLessThanOrEqual(Date.now() + 3600_000);

    // the old key keeps working during the grace period, and is revoked once it ends
    await expect(resolver.resolve(secret)).resolves.toMatchObject({ ok: true });
    await expect(resolver.resolve(secret, new Date(graceEnd + 1))).resolves.toEqual({
      ok: false,
      code: 'key_revoked',
    });
    await expect(resolver.resolve(replacement)).resolves.toMatchObject({
      ok: true,
      key: { keyId: rotated.body.id },
    });

    // a rotated key cannot be rotated again: the replacement is the one to rotate
    const again = await post(`/v1/keys/${created.body.id}/rotate`, { gracePeriodSeconds: 0 }).expect(409);
    expect(again.body).toMatchObject({ code: 'conflict', replacedByKeyId: rotated.body.id });

    // revoking the old key ends its grace now
    const revoked = await post(`/v1/keys/${created.body.id}/revoke`).expect(200);
    expect(revoked.body.status).toBe('revoked');
    expect((await eventually(() => resolver.resolve(secret), rejectedWith('key_revoked'))).ok).toBe(false);
    await post(`/v1/keys/${created.body.id}/revoke`).expect(200);

    // rotation with no grace revokes at once
    const rotatedNow = await post(`/v1/keys/${rotated.body.id}/rotate`, { gracePeriodSeconds: 0 }).expect(
      201,
    );
    expect(rotatedNow.body.previousKey.status).toBe('revoked');
    await expect(
      eventually(() => resolver.resolve(replacement), rejectedWith('key_revoked')),
    ).resolves.toEqual({ ok: false, code: 'key_revoked' });
    await expect(resolver.resolve(rotatedNow.body.secret)).resolves.toMatchObject({ ok: true });

    await post(`/v1/keys/${rotatedNow.body.id}/revoke`).expect(200);
    await expect(
      eventually(() => resolver.resolve(rotatedNow.body.secret), rejectedWith('key_revoked')),
    ).resolves.toEqual({
      ok: false,
      code: 'key_revoked',
    });
    const changeRevoked = await patch(`/v1/keys/${rotatedNow.body.id}`, {
      label: 'Back from the dead',
    }).expect(409);
    expect(changeRevoked.body.code).toBe('conflict');

    const list = await user.agent.get(`/v1/apps/${appId}/keys`).expect(200);
    expect((list.body as { id: string; status: string }[]).map((k) => [k.id, k.status])).toEqual([
      [user.body.key.id, 'active'],
      [created.body.id, 'revoked'],
      [rotated.body.id, 'revoked'],
      [rotatedNow.body.id, 'revoked'],
    ]);
  });

  it('never shows a key secret in list or get responses', async () => {
    const created = await post(`/v1/apps/${appId}/keys`, { label: 'Shown once' }).expect(201);
    const rotated = await post(`/v1/keys/${created.body.id}/rotate`, { gracePeriodSeconds: 60 }).expect(201);
    const secrets = [user.body.key.secret, created.body.secret as string, rotated.body.secret as string];
    const reads = [
      await user.agent.get(`/v1/apps/${appId}/keys`).expect(200),
      await user.agent.get(`/v1/keys/${created.body.id}`).expect(200),
      await user.agent.get(`/v1/keys/${rotated.body.id}`).expect(200),
      await user.agent.get(`/v1/keys/${user.body.key.id}`).expect(200),
      await user.agent.get('/v1/apps').expect(200),
      await user.agent.get(`/v1/apps/${appId}`).expect(200),
    ];
    for (const res of reads) {
      const text = JSON.stringify(res.body);
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toContain('"secret":');
      expect(text).not.toContain('keyHash');
    }
  });

  it('changes scopes, allowlists and expiry, normalised, and the gateway view follows', async () => {
    const created = await post(`/v1/apps/${appId}/keys`, {
      kind: 'publishable',
      allowedOrigins: ['https://App.Example.com/'],
    }).expect(201);
    expect(created.body).toMatchObject({ kind: 'publishable', allowedOrigins: ['https://app.example.com'] });
    expect(created.body.secret).toMatch(/^mpp_test_/);
    await expect(resolver.resolve(created.body.secret)).resolves.toMatchObject({
      ok: true,
      key: { scopes: ['*'] },
    });

    const expiresAt = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
    const updated = await patch(`/v1/keys/${created.body.id}`, {
      label: 'Web widget',
      scopes: ['api:maps'],
      ipAllowlist: ['198.51.100.0/24'],
      allowedOrigins: ['http://localhost:5173'],
      expiresAt,
    }).expect(200);
    expect(updated.body).toMatchObject({
      label: 'Web widget',
      scopes: ['api:maps'],
      ipAllowlist: ['198.51.100.0/24'],
      allowedOrigins: ['http://localhost:5173'],
      expiresAt,
      status: 'expiring',
    });
    const seen = await eventually(
      () => resolver.resolve(created.body.secret),
      (r) => r.ok && r.key.scopes[0] === 'api:maps',
    );
    expect(seen).toMatchObject({
      ok: true,
      key: {
        scopes: ['api:maps'],
        ipAllowlist: ['198.51.100.0/24'],
        allowedOrigins: ['http://localhost:5173'],
      },
    });
    // expiry is evaluated when the key is read: no message needed
    await expect(resolver.resolve(created.body.secret, new Date(Date.parse(expiresAt) + 1))).resolves.toEqual(
      { ok: false, code: 'key_expired' },
    );

    const cleared = await patch(`/v1/keys/${created.body.id}`, { expiresAt: null }).expect(200);
    expect(cleared.body).toMatchObject({ expiresAt: null, status: 'active', label: 'Web widget' });
  });

  it.each([
    ['a scope that is not "*" or api:<slug>', { scopes: ['api:Weather_API'] }, 'scopes'],
    ['too many scopes', { scopes: Array.from({ length: 51 }, (_, i) => `api:a${i}`) }, 'scopes'],
    ['an empty scope list', { scopes: [] }, 'scopes'],
    ['an IP block with host bits', { ipAllowlist: ['10.0.0.1/8'] }, 'ipAllowlist'],
    ['a host name in the IP allowlist', { ipAllowlist: ['example.com'] }, 'ipAllowlist'],
    ['origins on a secret key', { allowedOrigins: ['https://app.example.com'] }, 'allowedOrigins'],
    [
      'an origin with a path',
      { kind: 'publishable', allowedOrigins: ['https://app.example.com/app'] },
      'allowedOrigins',
    ],
    ['an expiry in the past', { expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
    ['a label over 100 characters', { label: 'x'.repeat(101) }, 'label'],
    ['an unknown kind', { kind: 'admin' }, 'kind'],
    ['an unknown property', { keyHash: 'x' }, 'keyHash'],
  ])('refuses %s with validation_failed', async (_what, body, field) => {
    const res = await post(`/v1/apps/${appId}/keys`, body).expect(400);
    expect(res.body.code).toBe('validation_failed');
    expect((res.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
  });

  it('refuses origins on a secret key when patching too', async () => {
    const res = await patch(`/v1/keys/${user.body.key.id}`, {
      allowedOrigins: ['https://app.example.com'],
    }).expect(400);
    expect(res.body).toMatchObject({
      code: 'validation_failed',
      errors: [expect.objectContaining({ field: 'allowedOrigins' })],
    });
    const nullLabel = await patch(`/v1/keys/${user.body.key.id}`, { label: null }).expect(400);
    expect(nullLabel.body.code).toBe('validation_failed');
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for the same key and body, and refuses the same key with another body', async () => {
      const idem = randomUUID();
      const first = await post(`/v1/apps/${appId}/keys`, { label: 'Idempotent' }, idem).expect(201);
      const replay = await post(`/v1/apps/${appId}/keys`, { label: 'Idempotent' }, idem).expect(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(replay.body).toEqual(first.body);
      const list = await user.agent.get(`/v1/apps/${appId}/keys`).expect(200);
      expect((list.body as { label: string }[]).filter((k) => k.label === 'Idempotent')).toHaveLength(1);

      const conflict = await post(`/v1/apps/${appId}/keys`, { label: 'Something else' }, idem).expect(409);
      expect(conflict.body).toMatchObject({ code: 'idempotency_conflict', reason: 'different_request' });

      // the stored response holds the secret only encrypted
      const redis = app.get<Redis>(REDIS);
      const slots = await redis.keys(app.get(RedisKeys).key('idempotency', '*'));
      expect(slots.length).toBeGreaterThan(0);
      for (const slot of slots) expect(await redis.get(slot)).not.toContain(first.body.secret);
    });

    it('keeps keys of different accounts apart', async () => {
      const other = await signUp(app, 'keys-other');
      const idem = randomUUID();
      const mine = await post(`/v1/apps/${appId}/keys`, { label: 'Same idem' }, idem).expect(201);
      const theirs = await other.agent
        .post(`/v1/apps/${other.body.application.id}/keys`)
        .set('X-CSRF-Token', other.csrfToken)
        .set('Idempotency-Key', idem)
        .send({ label: 'Same idem' })
        .expect(201);
      expect(theirs.body.id).not.toBe(mine.body.id);
      expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    });

    it('rotates once for a retried rotation', async () => {
      const created = await post(`/v1/apps/${appId}/keys`, { label: 'Rotate me' }).expect(201);
      const idem = randomUUID();
      const first = await post(`/v1/keys/${created.body.id}/rotate`, { gracePeriodSeconds: 60 }, idem).expect(
        201,
      );
      const retry = await post(`/v1/keys/${created.body.id}/rotate`, { gracePeriodSeconds: 60 }, idem).expect(
        201,
      );
      expect(retry.body.secret).toBe(first.body.secret);
      expect(retry.body.id).toBe(first.body.id);
    });

    it('does not remember failures, so a corrected retry with the same key works', async () => {
      const idem = randomUUID();
      await post(`/v1/apps/${randomUUID()}/keys`, { label: 'Nowhere' }, idem).expect(404);
      await post(`/v1/apps/${randomUUID()}/keys`, { label: 'Nowhere' }, idem).expect(404);
    });

    it('refuses a malformed Idempotency-Key', async () => {
      const res = await post(`/v1/apps/${appId}/keys`, { label: 'x' }, 'x'.repeat(256)).expect(400);
      expect(res.body).toMatchObject({
        code: 'validation_failed',
        errors: [{ field: 'Idempotency-Key', message: expect.any(String) }],
      });
    });
  });

  it('manages applications: rename, and delete revokes every key at once', async () => {
    const created = await post('/v1/apps', { name: 'Short-lived' }).expect(201);
    const id: string = created.body.id;
    const renamed = await patch(`/v1/apps/${id}`, { name: 'Renamed', description: 'Soon gone' }).expect(200);
    expect(renamed.body).toMatchObject({ id, name: 'Renamed', description: 'Soon gone' });
    expect((await patch(`/v1/apps/${id}`, { description: null }).expect(200)).body.description).toBeNull();
    await patch(`/v1/apps/${id}`, { name: '   ' }).expect(400);

    const a = await post(`/v1/apps/${id}/keys`, {}).expect(201);
    const b = await post(`/v1/apps/${id}/keys`, { mode: 'live' }).expect(201);
    const rotating = await post(`/v1/keys/${b.body.id}/rotate`, { gracePeriodSeconds: 3600 }).expect(201);
    for (const secret of [a.body.secret, b.body.secret, rotating.body.secret]) {
      await expect(resolver.resolve(secret)).resolves.toMatchObject({ ok: true });
    }

    await user.agent.delete(`/v1/apps/${id}`).set('X-CSRF-Token', user.csrfToken).expect(204);
    for (const secret of [a.body.secret, b.body.secret, rotating.body.secret]) {
      await expect(eventually(() => resolver.resolve(secret), rejectedWith('key_revoked'))).resolves.toEqual({
        ok: false,
        code: 'key_revoked',
      });
    }
    await user.agent.get(`/v1/apps/${id}`).expect(404);
    await user.agent.get(`/v1/apps/${id}/keys`).expect(404);
    await user.agent.get(`/v1/keys/${a.body.id}`).expect(404);
    await user.agent.delete(`/v1/apps/${id}`).set('X-CSRF-Token', user.csrfToken).expect(404);
    const apps = await user.agent.get('/v1/apps').expect(200);
    expect((apps.body as { id: string }[]).map((x) => x.id)).not.toContain(id);
  });
});
