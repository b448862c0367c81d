import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A FAKE of GitHub's OAuth web flow and the two REST endpoints Portico reads, for tests only.
 * It listens on an ephemeral 127.0.0.1 port; the real passport-github2 is pointed at it through
 * GITHUB_AUTHORIZE_URL / GITHUB_TOKEN_URL / GITHUB_API_URL (see `env`).
 *
 *   GET  /login/oauth/authorize     "the user approves": 302 back to redirect_uri with code + state
 *                                   (or error=access_denied after `denyNextAuthorization()`)
 *   POST /login/oauth/access_token  form or JSON body; checks client id/secret, code and redirect_uri;
 *                                   answers JSON when asked (Accept), else form-encoded, like GitHub
 *   GET  /user, GET /user/emails    Bearer (or `token`) access token; 401 Bad credentials otherwise
 *
 * Like GitHub, errors of the token endpoint are 200 with an `error` member, and API calls without
 * a User-Agent are refused. Which GitHub user "approves" is set per test with `signInAs`.
 */

export interface FakeGithubEmail {
  email: string;
  verified: boolean;
  primary: boolean;
  visibility?: 'public' | 'private' | null;
}

export interface FakeGithubUser {
  id: number;
  login: string;
  name?: string | null;
  /** The public profile email of `GET /user` (unverified as far as a client can tell). */
  email?: string | null;
  emails: FakeGithubEmail[];
}

export interface FakeGithubRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Record<string, string>;
  headers: IncomingMessage['headers'];
}

export interface FakeGithubOptions {
  clientId?: string;
  clientSecret?: string;
}

export interface FakeGithubEnv {
  GITHUB_CLIENT_ID: string;
  GITHUB_CLIENT_SECRET: string;
  GITHUB_AUTHORIZE_URL: string;
  GITHUB_TOKEN_URL: string;
  GITHUB_API_URL: string;
}

interface Grant {
  user: FakeGithubUser;
  redirectUri: string;
  scope: string;
}

export class FakeGithubOAuth {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Every request the fake received, oldest first. */
  readonly requests: FakeGithubRequest[] = [];

  private user: FakeGithubUser | null = null;
  private deny = false;
  private tokenEndpointBroken = false;
  private readonly codes = new Map<string, Grant>();
  private readonly tokens = new Map<string, FakeGithubUser>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    options: FakeGithubOptions,
  ) {
    this.clientId = options.clientId ?? 'fake-github-client-id';
    this.clientSecret = options.clientSecret ?? 'fake-github-client-secret';
  }

  static async start(options: FakeGithubOptions = {}): Promise<FakeGithubOAuth> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeGithubOAuth(server, `http://127.0.0.1:${port}`, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fake.handle(req, res).catch((error: unknown) => {
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify({ message: String(error) }));
      });
    });
    return fake;
  }

  /** The IdentityEnv variables that point Portico at this fake. */
  get env(): FakeGithubEnv {
    return {
      GITHUB_CLIENT_ID: this.clientId,
      GITHUB_CLIENT_SECRET: this.clientSecret,
      GITHUB_AUTHORIZE_URL: `${this.url}/login/oauth/authorize`,
      GITHUB_TOKEN_URL: `${this.url}/login/oauth/access_token`,
      GITHUB_API_URL: this.url,
    };
  }

  /** The GitHub user who approves the next authorizations. */
  signInAs(user: FakeGithubUser): void {
    this.user = user;
    this.deny = false;
  }

  /** The next authorization is declined by the user (GitHub redirects back with error=access_denied). */
  denyNextAuthorization(): void {
    this.deny = true;
  }

  /** The token endpoint answers 503 until `repair()` (GitHub having a bad day). */
  breakTokenEndpoint(): void {
    this.tokenEndpointBroken = true;
  }

  repair(): void {
    this.tokenEndpointBroken = false;
  }

  requestsTo(path: string): FakeGithubRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const body = await readBody(req);
    const query = Object.fromEntries(url.searchParams);
    this.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      body,
      headers: req.headers,
    });

    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') return this.authorize(query, res);
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token')
      return this.accessToken(req, body, res);
    if (req.method === 'GET' && (url.pathname === '/user' || url.pathname === '/user/emails'))
      return this.api(req, url.pathname, res);
    json(res, 404, { message: 'Not Found' });
  }

  private authorize(query: Record<string, string>, res: ServerResponse): void {
    if (query.client_id !== this.clientId || !query.redirect_uri) {
      json(res, 404, { message: 'unknown client_id or missing redirect_uri' });
      return;
    }
    const back = new URL(query.redirect_uri);
    if (this.deny || !this.user) {
      this.deny = false;
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The user has denied your application access.');
    } else {
      const code = randomBytes(10).toString('hex');
      this.codes.set(code, {
        user: structuredClone(this.user),
        redirectUri: query.redirect_uri,
        scope: query.scope ?? '',
      });
      back.searchParams.set('code', code);
    }
    if (query.state !== undefined) back.searchParams.set('state', query.state);
    res.writeHead(302, { location: back.toString() }).end();
  }

  private accessToken(req: IncomingMessage, body: Record<string, string>, res: ServerResponse): void {
    if (this.tokenEndpointBroken) {
      json(res, 503, { message: 'Service unavailable' });
      return;
    }
    const answer = (payload: Record<string, string>) => {
      if ((req.headers.accept ?? '').includes('application/json')) json(res, 200, payload);
      else
        res
          .writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' })
          .end(new URLSearchParams(payload).toString());
    };
    if (body.client_id !== this.clientId || body.client_secret !== this.clientSecret) {
      answer({
        error: 'incorrect_client_credentials',
        error_description: 'The client_id and/or client_secret passed are incorrect.',
      });
      return;
    }
    const grant = body.code ? this.codes.get(body.code) : undefined;
    if (!grant) {
      answer({
        error: 'bad_verification_code',
        error_description: 'The code passed is incorrect or expired.',
      });
      return;
    }
    this.codes.delete(body.code);
    if (body.redirect_uri !== undefined && body.redirect_uri !== grant.redirectUri) {
      answer({
        error: 'redirect_uri_mismatch',
        error_description: 'The redirect_uri MUST match the registered callback URL for this application.',
      });
      return;
    }
    const token = `gho_${randomBytes(18).toString('hex')}`;
    this.tokens.set(token, grant.user);
    answer({
      access_token: token,
      token_type: 'bearer',
      scope: grant.scope.split(/[ ,]+/).filter(Boolean).join(','),
    });
  }

  private api(req: IncomingMessage, path: string, res: ServerResponse): void {
    if (!req.headers['user-agent']) {
      json(res, 403, {
        message:
          'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.',
      });
      return;
    }
    const match = /^(?:Bearer|token) (\S+)$/i.exec(req.headers.authorization ?? '');
    const user = match ? this.tokens.get(match[1]) : undefined;
    if (!user) {
      json(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
      return;
    }
    if (path === '/user') {
      json(res, 200, {
        login: user.login,
        id: user.id,
        node_id: `U_${user.id}`,
        avatar_url: `https://avatars.githubusercontent.com/u/${user.id}`,
        html_url: `https://github.com/${user.login}`,
        type: 'User',
        name: user.name ?? null,
        email: user.email ?? null,
      });
      return;
    }
    json(
      res,
      200,
      user.emails.map((e) => ({
        email: e.email,
        verified: e.verified,
        primary: e.primary,
        visibility: e.visibility ?? null,
      })),
    );
  }
}

function json(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(payload));
}

async function readBody(req: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  }
  return Object.fromEntries(new URLSearchParams(text));
}
