import { parseApiKey } from '@app/identity';
import type { INestApplication } from '@nestjs/common';
import { createHash } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { signUp, uniqueEmail } from './support/api-client';
import { startIsolatedApi, type IsolatedApi } from './support/isolated-api';

const PASSWORD = 'correct horse battery staple';

function setCookies(res: request.Response): string[] {
  const header = res.headers['set-cookie'] as string[] | string | undefined;
  return header === undefined ? [] : Array.isArray(header) ? header : [header];
}

function sessionCookie(res: request.Response): string {
  const cookie = setCookies(res).find((c) => c.startsWith('portico_session='));
  if (!cookie) throw new Error(`no session cookie in ${JSON.stringify(res.headers)}`);
  return cookie;
}

/** `portico_session=<token>`, as a browser would send it back. */
function cookiePair(res: request.Response): string {
  return sessionCookie(res).split(';')[0];
}

describe('accounts over HTTP', () => {
  let api: IsolatedApi;
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    api = await startIsolatedApi('accounts');
    app = api.app;
  });

  afterAll(async () => {
    await api?.close();
  });

  function logIn(email: string, password = PASSWORD): request.Test {
    return http().post('/v1/auth/login').send({ email, password });
  }

  describe('sign-up', () => {
    it('answers a mp_test_ key that passes its checksum, stored only as its SHA-256 and never shown again by GET routes', async () => {
      const user = await signUp(app, 'keys');
      const secret = user.body.key.secret;
      expect(secret).toMatch(/^mp_test_[0-9A-Za-z]{38}$/);
      expect(parseApiKey(secret)).toEqual(
        expect.objectContaining({
          kind: 'secret',
          mode: 'test',
          prefix: 'mp_test_',
          lastFour: secret.slice(-4),
        }),
      );
      expect(user.body.key).toMatchObject({
        kind: 'secret',
        mode: 'test',
        display: `mp_test_…${secret.slice(-4)}`,
        status: 'active',
      });

      const rows: Record<string, unknown>[] = await app
        .get(DataSource)
        .query(
          'SELECT key_hash, prefix, last_four, row_to_json(k)::text AS whole FROM api_keys k WHERE account_id = $1',
          [user.accountId],
        );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        key_hash: createHash('sha256').update(secret).digest('hex'),
        prefix: 'mp_test_',
        last_four: secret.slice(-4),
      });
      expect(rows[0].whole).not.toContain(secret.slice('mp_test_'.length));

      for (const path of ['/v1/me', '/v1/apps', `/v1/apps/${user.body.application.id}`]) {
        const res = await user.agent.get(path).expect(200);
        expect(JSON.stringify(res.body)).not.toContain(secret.slice('mp_test_'.length, -4));
      }
    });

    it('refuses an email that already has an account (in any letter case) with 409 conflict', async () => {
      const user = await signUp(app, 'dup');
      const res = await http()
        .post('/v1/auth/signup')
        .send({ email: user.email.toUpperCase(), password: 'another password 123' })
        .expect(409);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ code: 'conflict', status: 409, field: 'email' });
      expect(setCookies(res)).toEqual([]);
      // the first owner's password is untouched
      await logIn(user.email).expect(200);
    });
  });

  describe('password login', () => {
    it('logs in with the right password and answers the account and a CSRF token', async () => {
      const user = await signUp(app, 'login');
      const res = await logIn(user.email.toUpperCase()).expect(200);
      expect(res.body.account).toMatchObject({ id: user.accountId, email: user.email, hasPassword: true });
      expect(res.body.csrfToken).toEqual(expect.any(String));
      const me = await http().get('/v1/me').set('Cookie', cookiePair(res)).expect(200);
      expect(me.body.account.id).toBe(user.accountId);
      expect(me.body.csrfToken).toBe(res.body.csrfToken);
    });

    it('answers an unknown email and a wrong password with the same invalid_credentials error', async () => {
      const user = await signUp(app, 'wrongpw');
      const wrongPassword = await logIn(user.email, 'not the password at all').expect(401);
      const unknownEmail = await logIn(uniqueEmail('nobody')).expect(401);
      for (const res of [wrongPassword, unknownEmail]) {
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(setCookies(res)).toEqual([]);
      }
      const { requestId: _a, ...wrong } = wrongPassword.body as Record<string, unknown>;
      const { requestId: _b, ...unknown } = unknownEmail.body as Record<string, unknown>;
      expect(wrong).toEqual(unknown);
      expect(wrong).toMatchObject({ code: 'invalid_credentials', status: 401 });
    });
  });

  describe('session cookie', () => {
    it('is HttpOnly, SameSite=Lax, Path=/ and not Secure when PUBLIC_URL is http', async () => {
      const res = await logIn((await signUp(app, 'cookie')).email).expect(200);
      const cookie = sessionCookie(res);
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Lax/);
      expect(cookie).toMatch(/; Path=\//);
      expect(cookie).toMatch(/; Expires=/);
      expect(cookie).not.toMatch(/; Secure/);
    });

    it('is Secure when PUBLIC_URL is https', async () => {
      const secure = await startIsolatedApi('accounts-https', { PUBLIC_URL: 'https://portico.example.com' });
      try {
        const res = await request(secure.app.getHttpServer())
          .post('/v1/auth/signup')
          .send({ email: uniqueEmail('https'), password: PASSWORD })
          .expect(201);
        const cookie = sessionCookie(res);
        expect(cookie).toMatch(/; Secure/);
        expect(cookie).toMatch(/; HttpOnly/);
        expect(cookie).toMatch(/; SameSite=Lax/);
      } finally {
        await secure.close();
      }
    });
  });

  describe('logout', () => {
    it('ends the session on the server: the old cookie is answered with 401 unauthenticated', async () => {
      const user = await signUp(app, 'logout');
      const login = await logIn(user.email).expect(200);
      const oldCookie = cookiePair(login);

      const res = await http()
        .post('/v1/auth/logout')
        .set('Cookie', oldCookie)
        .set('X-CSRF-Token', login.body.csrfToken)
        .expect(204);
      expect(sessionCookie(res)).toMatch(/^portico_session=;.*Expires=Thu, 01 Jan 1970/);

      const after = await http().get('/v1/me').set('Cookie', oldCookie).expect(401);
      expect(after.body).toMatchObject({ code: 'unauthenticated', status: 401 });
      // the sign-up session of the same account is a different session and lives on
      await user.agent.get('/v1/me').expect(200);
    });
  });

  describe('CSRF', () => {
    it('refuses a cookie-authenticated POST without X-CSRF-Token, or with a wrong one, with 403 csrf_failed', async () => {
      const user = await signUp(app, 'csrf');
      const missing = await user.agent.post('/v1/auth/logout').expect(403);
      expect(missing.body).toMatchObject({ code: 'csrf_failed', status: 403 });
      const wrong = await user.agent
        .post('/v1/auth/logout')
        .set('X-CSRF-Token', `${user.csrfToken}x`)
        .expect(403);
      expect(wrong.body.code).toBe('csrf_failed');

      // another session's token is not this session's token
      const other = await logIn(user.email).expect(200);
      await user.agent.post('/v1/auth/logout').set('X-CSRF-Token', other.body.csrfToken).expect(403);

      // nothing happened: still signed in; with the right token the POST goes through
      await user.agent.get('/v1/me').expect(200);
      await user.agent.post('/v1/auth/logout').set('X-CSRF-Token', user.csrfToken).expect(204);
      await user.agent.get('/v1/me').expect(401);
    });
  });

  describe('profile', () => {
    it('changes the display name (trimmed) with PATCH /v1/me; an account opened without one shows its email local part until then', async () => {
      const email = uniqueEmail('profile');
      const opened = await http().post('/v1/auth/signup').send({ email, password: PASSWORD }).expect(201);
      expect(opened.body.account.displayName).toBe(email.split('@')[0]);
      const agent = request.agent(app.getHttpServer());
      const csrf = (await agent.post('/v1/auth/login').send({ email, password: PASSWORD }).expect(200)).body
        .csrfToken as string;

      const changed = await agent
        .patch('/v1/me')
        .set('X-CSRF-Token', csrf)
        .send({ displayName: '  Ada Lovelace  ' })
        .expect(200);
      expect(changed.body).toMatchObject({ email, displayName: 'Ada Lovelace' });
      expect((await agent.get('/v1/me').expect(200)).body.account.displayName).toBe('Ada Lovelace');
    });

    it('refuses a blank, overlong or missing name with 400 naming displayName, and a PATCH without the CSRF token', async () => {
      const user = await signUp(app, 'profilebad');
      for (const body of [
        { displayName: '   ' },
        { displayName: 'x'.repeat(101) },
        {},
        { displayName: 42 },
      ]) {
        const res = await user.agent
          .patch('/v1/me')
          .set('X-CSRF-Token', user.csrfToken)
          .send(body)
          .expect(400);
        expect(res.body.code).toBe('validation_failed');
        expect(new Set(res.body.errors.map((e: { field: string }) => e.field))).toEqual(
          new Set(['displayName']),
        );
      }
      const csrf = await user.agent.patch('/v1/me').send({ displayName: 'Mallory' }).expect(403);
      expect(csrf.body.code).toBe('csrf_failed');
      await http().patch('/v1/me').send({ displayName: 'Mallory' }).expect(401);
      expect((await user.agent.get('/v1/me').expect(200)).body.account.displayName).not.toBe('Mallory');
    });
  });

  describe('password change', () => {
    it('ends every other session of the account and keeps the current one', async () => {
      const user = await signUp(app, 'pwchange');
      const otherLogin = await logIn(user.email).expect(200);
      const otherCookie = cookiePair(otherLogin);
      await http().get('/v1/me').set('Cookie', otherCookie).expect(200);

      const newPassword = 'a brand new passphrase';
      await user.agent
        .post('/v1/me/password')
        .set('X-CSRF-Token', user.csrfToken)
        .send({ currentPassword: PASSWORD, newPassword })
        .expect(204);

      await user.agent.get('/v1/me').expect(200);
      const ended = await http().get('/v1/me').set('Cookie', otherCookie).expect(401);
      expect(ended.body.code).toBe('unauthenticated');
      await logIn(user.email, PASSWORD).expect(401);
      await logIn(user.email, newPassword).expect(200);
    });

    it('requires the correct current password and changes nothing without it', async () => {
      const user = await signUp(app, 'pwguard');
      const otherCookie = cookiePair(await logIn(user.email).expect(200));

      const wrong = await user.agent
        .post('/v1/me/password')
        .set('X-CSRF-Token', user.csrfToken)
        .send({ currentPassword: 'not my password', newPassword: 'attacker password 1' })
        .expect(401);
      expect(wrong.body).toMatchObject({ code: 'invalid_credentials', field: 'currentPassword' });
      const missing = await user.agent
        .post('/v1/me/password')
        .set('X-CSRF-Token', user.csrfToken)
        .send({ newPassword: 'attacker password 1' })
        .expect(401);
      expect(missing.body.code).toBe('invalid_credentials');

      await http().get('/v1/me').set('Cookie', otherCookie).expect(200);
      await logIn(user.email, 'attacker password 1').expect(401);
      await logIn(user.email, PASSWORD).expect(200);
    });
  });

  describe('login throttle', () => {
    it('answers the 11th attempt for one email within 15 minutes with 429, Retry-After and when to retry; another email is unaffected', async () => {
      const target = await signUp(app, 'throttled');
      const bystander = await signUp(app, 'bystander');
      for (let attempt = 1; attempt <= 10; attempt++) {
        await logIn(target.email, `wrong password ${attempt}`).expect(401);
      }

      const limited = await logIn(target.email, 'wrong password 11').expect(429);
      expect(limited.headers['content-type']).toContain('application/problem+json');
      expect(limited.body).toMatchObject({ code: 'rate_limit_exceeded', status: 429 });
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      expect(limited.body.retryAfter).toBe(retryAfter);
      expect(limited.body.detail).toBe(
        `Too many login attempts for this email. Try again in ${retryAfter} seconds.`,
      );

      // even the right password waits out the window
      await logIn(target.email, PASSWORD).expect(429);
      // a different email from the same address and test is unaffected
      await logIn(bystander.email, 'wrong password').expect(401);
      await logIn(bystander.email).expect(200);
    });

    it('clears the per-email counter on a successful login, so a person’s own typos do not add up', async () => {
      const user = await signUp(app, 'typos');
      for (let attempt = 1; attempt <= 9; attempt++) await logIn(user.email, `typo ${attempt}`).expect(401);
      await logIn(user.email).expect(200);
      for (let attempt = 1; attempt <= 10; attempt++)
        await logIn(user.email, `typo again ${attempt}`).expect(401);
      await logIn(user.email, 'one typo too many').expect(429);
    });
  });
});

describe('sign-up throttle per address (own api instance and Redis prefix)', () => {
  let api: IsolatedApi;

  beforeAll(async () => {
    api = await startIsolatedApi('signup-ip', { AUTH_SIGNUPS_PER_IP_PER_HOUR: '20' });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('answers the 21st sign-up from one address within an hour with 429 rate_limit_exceeded', async () => {
    const server = api.app.getHttpServer();
    for (let i = 0; i < 20; i++) {
      await request(server)
        .post('/v1/auth/signup')
        .send({ email: uniqueEmail('ip'), password: PASSWORD })
        .expect(201);
    }
    const limited = await request(server)
      .post('/v1/auth/signup')
      .send({ email: uniqueEmail('ip'), password: PASSWORD })
      .expect(429);
    expect(limited.body).toMatchObject({ code: 'rate_limit_exceeded' });
    expect(limited.body.detail).toMatch(/^Too many sign-ups from your address\. Try again in \d+ seconds\.$/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('client address behind a load balancer (API_TRUSTED_PROXIES)', () => {
  const signUpFrom = (api: IsolatedApi, forwardedFor: string) =>
    request(api.app.getHttpServer())
      .post('/v1/auth/signup')
      .set('X-Forwarded-For', forwardedFor)
      .send({ email: uniqueEmail('proxied'), password: PASSWORD });

  it('counts sign-ups per client address from X-Forwarded-For of a trusted proxy, its rightmost untrusted entry', async () => {
    const api = await startIsolatedApi('proxied', {
      AUTH_SIGNUPS_PER_IP_PER_HOUR: '2',
      API_TRUSTED_PROXIES: '127.0.0.1, ::1',
    });
    try {
      await signUpFrom(api, '203.0.113.7').expect(201);
      await signUpFrom(api, '203.0.113.7').expect(201);
      const limited = await signUpFrom(api, '203.0.113.7').expect(429);
      expect(limited.body.detail).toMatch(/^Too many sign-ups from your address/);
      // another client behind the same balancer has its own limit
      await signUpFrom(api, '203.0.113.8').expect(201);
      // what the client wrote itself (left of the balancer's entry) is not believed
      await signUpFrom(api, '203.0.113.8, 203.0.113.7').expect(429);
    } finally {
      await api.close();
    }
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy: every sign-up counts for the peer', async () => {
    const api = await startIsolatedApi('unproxied', {
      AUTH_SIGNUPS_PER_IP_PER_HOUR: '2',
      API_TRUSTED_PROXIES: '192.0.2.10',
    });
    try {
      await signUpFrom(api, '203.0.113.21').expect(201);
      await signUpFrom(api, '203.0.113.22').expect(201);
      await signUpFrom(api, '203.0.113.23').expect(429);
    } finally {
      await api.close();
    }
  });

  it('refuses to start with a setting that is not IPs or CIDRs, naming it', async () => {
    await expect(
      startIsolatedApi('bad-proxies', { API_TRUSTED_PROXIES: '10.0.0.0/8, load-balancer' }),
    ).rejects.toThrow(/API_TRUSTED_PROXIES must list IPs or CIDRs.*load-balancer/);
  });
});
