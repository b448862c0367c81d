import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { FakeGithubOAuth, type FakeGithubUser } from './fakes/github-oauth.fake';
import { uniqueEmail } from './support/api-client';
import { startIsolatedApi, type IsolatedApi } from './support/isolated-api';

const PUBLIC_URL = 'http://localhost:3000';
const PASSWORD = 'correct horse battery staple';

let nextGithubId = 7_000_000 + Math.floor(Math.random() * 1_000_000);

function githubUser(emails: FakeGithubUser['emails'], extra: Partial<FakeGithubUser> = {}): FakeGithubUser {
  nextGithubId += 1;
  return { id: nextGithubId, login: `octo-${nextGithubId}`, name: 'Octo Cat', emails, ...extra };
}

function setCookies(res: request.Response): string[] {
  const header = res.headers['set-cookie'] as string[] | string | undefined;
  return header === undefined ? [] : Array.isArray(header) ? header : [header];
}

function cookie(res: request.Response, name: string): string | undefined {
  return setCookies(res).find((c) => c.startsWith(`${name}=`));
}

interface GithubSignIn {
  start: request.Response;
  authorizeUrl: URL;
  callbackUrl: URL;
  callback: request.Response;
}

describe('Sign in with GitHub (against a fake GitHub)', () => {
  let github: FakeGithubOAuth;
  let api: IsolatedApi;

  beforeAll(async () => {
    github = await FakeGithubOAuth.start();
    api = await startIsolatedApi('github', { ...github.env, PUBLIC_URL });
  });

  afterAll(async () => {
    await api?.close();
    await github?.close();
  });

  const agent = (): TestAgent => request.agent(api.app.getHttpServer());

  /** What a browser does: GET /v1/auth/github, approve on "GitHub", follow the redirect back to the callback. */
  async function signInWithGithub(browser: TestAgent): Promise<GithubSignIn> {
    const start = await browser.get('/v1/auth/github').redirects(0).expect(302);
    const authorizeUrl = new URL(start.headers.location);
    const approved = await fetch(authorizeUrl, { redirect: 'manual' });
    expect(approved.status).toBe(302);
    const callbackUrl = new URL(approved.headers.get('location')!);
    const callback = await browser.get(callbackUrl.pathname + callbackUrl.search).redirects(0);
    return { start, authorizeUrl, callbackUrl, callback };
  }

  async function passwordAccount(): Promise<{ email: string; accountId: string }> {
    const email = uniqueEmail('gh-pw');
    const res = await request(api.app.getHttpServer())
      .post('/v1/auth/signup')
      .send({ email, password: PASSWORD })
      .expect(201);
    return { email, accountId: res.body.account.id as string };
  }

  it('redirects to GitHub with the client id, scopes, callback URL and a state bound to a short-lived httpOnly cookie', async () => {
    const res = await agent().get('/v1/auth/github').redirects(0).expect(302);
    const location = new URL(res.headers.location);
    expect(`${location.origin}${location.pathname}`).toBe(github.env.GITHUB_AUTHORIZE_URL);
    expect(location.searchParams.get('client_id')).toBe(github.clientId);
    expect(location.searchParams.get('response_type')).toBe('code');
    expect(location.searchParams.get('scope')).toBe('read:user user:email');
    expect(location.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/v1/auth/github/callback`);
    const state = location.searchParams.get('state');
    expect(state).toMatch(/^[A-Za-z0-9_-]{32}$/);

    const stateCookie = cookie(res, 'portico_github_state');
    expect(stateCookie).toBeDefined();
    expect(stateCookie).toContain(`portico_github_state=${state};`);
    expect(stateCookie).toMatch(/; HttpOnly/);
    expect(stateCookie).toMatch(/; SameSite=Lax/);
    expect(stateCookie).toMatch(/; Path=\/v1\/auth\/github/);
    expect(stateCookie).toMatch(/; Max-Age=600/);
    expect(stateCookie).not.toMatch(/; Secure/);
  });

  it('signs a new GitHub user up: an account without password, a default application and a session, then redirects to PUBLIC_URL/', async () => {
    const email = uniqueEmail('gh-new');
    const user = githubUser([{ email, verified: true, primary: true }], { name: 'Grace Hopper' });
    github.signInAs(user);
    const browser = agent();

    const { callback } = await signInWithGithub(browser);
    expect(callback.status).toBe(302);
    expect(callback.headers.location).toBe(`${PUBLIC_URL}/`);
    const session = cookie(callback, 'portico_session');
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    // the state is spent
    expect(cookie(callback, 'portico_github_state')).toMatch(/^portico_github_state=;/);

    const me = await browser.get('/v1/me').expect(200);
    expect(me.body.account).toMatchObject({
      email,
      githubLogin: user.login,
      hasPassword: false,
      displayName: 'Grace Hopper',
    });
    const apps = await browser.get('/v1/apps').expect(200);
    expect(apps.body).toEqual([expect.objectContaining({ name: 'Default application' })]);

    // the token was exchanged with the app's credentials and the callback URL passport announced
    const tokenRequest = github.requestsTo('/login/oauth/access_token').at(-1)!;
    expect(tokenRequest.body).toMatchObject({
      client_id: github.clientId,
      client_secret: github.clientSecret,
      grant_type: 'authorization_code',
      redirect_uri: `${PUBLIC_URL}/v1/auth/github/callback`,
    });
  });

  it('signs the same GitHub user into the same account next time, even after a rename and an email change on GitHub', async () => {
    const user = githubUser([{ email: uniqueEmail('gh-again'), verified: true, primary: true }]);
    github.signInAs(user);
    const first = agent();
    await signInWithGithub(first);
    const firstMe = await first.get('/v1/me').expect(200);

    github.signInAs({
      ...user,
      login: `${user.login}-renamed`,
      emails: [{ email: uniqueEmail('gh-changed'), verified: true, primary: true }],
    });
    const second = agent();
    const { callback } = await signInWithGithub(second);
    expect(callback.headers.location).toBe(`${PUBLIC_URL}/`);
    const secondMe = await second.get('/v1/me').expect(200);
    expect(secondMe.body.account.id).toBe(firstMe.body.account.id);
    expect(secondMe.body.account.githubLogin).toBe(`${user.login}-renamed`);
    expect(secondMe.body.account.email).toBe(firstMe.body.account.email);
  });

  it('links a verified GitHub email to the existing password account, ending its unverified password and sessions', async () => {
    const existing = await passwordAccount();
    const squatter = agent();
    await squatter.post('/v1/auth/login').send({ email: existing.email, password: PASSWORD }).expect(200);
    await squatter.get('/v1/me').expect(200);
    github.signInAs(
      githubUser([
        { email: uniqueEmail('gh-other'), verified: true, primary: true },
        { email: existing.email.toUpperCase(), verified: true, primary: false },
      ]),
    );
    const browser = agent();

    const { callback } = await signInWithGithub(browser);
    expect(callback.headers.location).toBe(`${PUBLIC_URL}/`);
    const me = await browser.get('/v1/me').expect(200);
    expect(me.body.account.id).toBe(existing.accountId);
    expect(me.body.account.hasPassword).toBe(false);
    expect(me.body.account.githubLogin).toMatch(/^octo-/);
    // whoever set the password (Portico never verified that email) is out: password and sessions end
    await squatter.get('/v1/me').expect(401);
    const login = await request(api.app.getHttpServer())
      .post('/v1/auth/login')
      .send({ email: existing.email, password: PASSWORD })
      .expect(401);
    expect(login.body.code).toBe('invalid_credentials');
  });

  it('never links an unverified GitHub email: with no verified email at all, sign-in is refused', async () => {
    const victim = await passwordAccount();
    github.signInAs(
      githubUser([{ email: victim.email, verified: false, primary: true }], { email: victim.email }),
    );
    const browser = agent();

    const { callback } = await signInWithGithub(browser);
    expect(callback.status).toBe(302);
    expect(callback.headers.location).toBe(`${PUBLIC_URL}/login?error=github_email_unverified`);
    expect(cookie(callback, 'portico_session')).toBeUndefined();
    await browser.get('/v1/me').expect(401);

    const owner = request.agent(api.app.getHttpServer());
    await owner.post('/v1/auth/login').send({ email: victim.email, password: PASSWORD }).expect(200);
    expect((await owner.get('/v1/me').expect(200)).body.account.githubLogin).toBeNull();
  });

  it('never links an unverified GitHub email: a verified one elsewhere gets its own new account', async () => {
    const victim = await passwordAccount();
    const ownEmail = uniqueEmail('gh-own');
    github.signInAs(
      githubUser([
        { email: victim.email, verified: false, primary: true },
        { email: ownEmail, verified: true, primary: false },
      ]),
    );
    const browser = agent();

    const { callback } = await signInWithGithub(browser);
    expect(callback.headers.location).toBe(`${PUBLIC_URL}/`);
    const me = await browser.get('/v1/me').expect(200);
    expect(me.body.account.id).not.toBe(victim.accountId);
    expect(me.body.account.email).toBe(ownEmail);
  });

  it('refuses with conflict when the verified email belongs to an account linked to another GitHub user', async () => {
    const email = uniqueEmail('gh-taken');
    github.signInAs(githubUser([{ email, verified: true, primary: true }]));
    await signInWithGithub(agent());

    github.signInAs(githubUser([{ email, verified: true, primary: true }]));
    const { callback } = await signInWithGithub(agent());
    expect(callback.headers.location).toBe(`${PUBLIC_URL}/login?error=conflict`);
    expect(cookie(callback, 'portico_session')).toBeUndefined();
  });

  it('refuses a callback whose state does not match the cookie, without exchanging the code', async () => {
    github.signInAs(githubUser([{ email: uniqueEmail('gh-csrf'), verified: true, primary: true }]));
    const browser = agent();
    const start = await browser.get('/v1/auth/github').redirects(0).expect(302);
    const approved = await fetch(new URL(start.headers.location), { redirect: 'manual' });
    const back = new URL(approved.headers.get('location')!);
    back.searchParams.set('state', 'attacker-chosen-state-0123456789abcdef');
    const exchangesBefore = github.requestsTo('/login/oauth/access_token').length;

    const callback = await browser
      .get(back.pathname + back.search)
      .redirects(0)
      .expect(302);
    expect(callback.headers.location).toBe(`${PUBLIC_URL}/login?error=github_state_invalid`);
    expect(cookie(callback, 'portico_session')).toBeUndefined();
    expect(github.requestsTo('/login/oauth/access_token')).toHaveLength(exchangesBefore);
  });

  it('refuses a callback without the state cookie (a login CSRF: the attacker’s code in the victim’s browser)', async () => {
    github.signInAs(githubUser([{ email: uniqueEmail('gh-attacker'), verified: true, primary: true }]));
    const attacker = agent();
    const start = await attacker.get('/v1/auth/github').redirects(0).expect(302);
    const approved = await fetch(new URL(start.headers.location), { redirect: 'manual' });
    const back = new URL(approved.headers.get('location')!);

    const victim = agent();
    const callback = await victim
      .get(back.pathname + back.search)
      .redirects(0)
      .expect(302);
    expect(callback.headers.location).toBe(`${PUBLIC_URL}/login?error=github_state_invalid`);
    await victim.get('/v1/me').expect(401);
  });

  it('refuses a callback without a state parameter, and a replayed callback once the state is spent', async () => {
    github.signInAs(githubUser([{ email: uniqueEmail('gh-replay'), verified: true, primary: true }]));
    const browser = agent();
    const { callbackUrl, callback } = await signInWithGithub(browser);
    expect(callback.headers.location).toBe(`${PUBLIC_URL}/`);

    const replay = await browser
      .get(callbackUrl.pathname + callbackUrl.search)
      .redirects(0)
      .expect(302);
    expect(replay.headers.location).toBe(`${PUBLIC_URL}/login?error=github_state_invalid`);

    const start = await browser.get('/v1/auth/github').redirects(0).expect(302);
    const approved = await fetch(new URL(start.headers.location), { redirect: 'manual' });
    const back = new URL(approved.headers.get('location')!);
    back.searchParams.delete('state');
    const stateless = await browser
      .get(back.pathname + back.search)
      .redirects(0)
      .expect(302);
    expect(stateless.headers.location).toBe(`${PUBLIC_URL}/login?error=github_state_invalid`);
  });

  it('reports a declined authorization as github_access_denied', async () => {
    github.signInAs(githubUser([{ email: uniqueEmail('gh-deny'), verified: true, primary: true }]));
    github.denyNextAuthorization();
    const { callbackUrl, callback } = await signInWithGithub(agent());
    expect(callbackUrl.searchParams.get('error')).toBe('access_denied');
    expect(callback.headers.location).toBe(`${PUBLIC_URL}/login?error=github_access_denied`);
  });

  it('reports GitHub being unavailable as github_login_failed', async () => {
    github.signInAs(githubUser([{ email: uniqueEmail('gh-down'), verified: true, primary: true }]));
    github.breakTokenEndpoint();
    try {
      const { callback } = await signInWithGithub(agent());
      expect(callback.headers.location).toBe(`${PUBLIC_URL}/login?error=github_login_failed`);
    } finally {
      github.repair();
    }
  });

  it('lets a GitHub-only account set a first password (no current password to give), then log in with it', async () => {
    const email = uniqueEmail('gh-setpw');
    github.signInAs(githubUser([{ email, verified: true, primary: true }]));
    const browser = agent();
    await signInWithGithub(browser);
    const { csrfToken } = (await browser.get('/v1/me').expect(200)).body as { csrfToken: string };

    await browser
      .post('/v1/me/password')
      .set('X-CSRF-Token', csrfToken)
      .send({ newPassword: PASSWORD })
      .expect(204);
    const login = await request(api.app.getHttpServer())
      .post('/v1/auth/login')
      .send({ email, password: PASSWORD })
      .expect(200);
    expect(login.body.account.hasPassword).toBe(true);
  });
});

describe('Sign in with GitHub when GitHub is not configured', () => {
  let api: IsolatedApi;

  beforeAll(async () => {
    api = await startIsolatedApi('github-off', {
      PUBLIC_URL,
      GITHUB_CLIENT_ID: undefined,
      GITHUB_CLIENT_SECRET: undefined,
    });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('answers GET /v1/auth/github with github_login_disabled (404, problem+json)', async () => {
    const res = await request(api.app.getHttpServer()).get('/v1/auth/github').redirects(0).expect(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      code: 'github_login_disabled',
      status: 404,
      type: 'https://portico.dev/errors/github_login_disabled',
    });
    expect(res.body.detail).toContain('GITHUB_CLIENT_ID');
  });

  it('sends a browser arriving at the callback to the login page with github_login_disabled', async () => {
    const res = await request(api.app.getHttpServer())
      .get('/v1/auth/github/callback?code=abc&state=def')
      .redirects(0)
      .expect(302);
    expect(res.headers.location).toBe(`${PUBLIC_URL}/login?error=github_login_disabled`);
  });
});
