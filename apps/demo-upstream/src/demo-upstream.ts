import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEMO_APIS, problem, type DemoApi, type DemoResponse } from './apis';

export const PROXY_SECRET_HEADER = 'x-portico-proxy-secret';
export const VERIFIED_HEADER = 'X-Demo-Verified';
const MAX_BODY_BYTES = 256 * 1024;

export interface DemoUpstreamOptions {
  /** When set, API calls without this exact X-Portico-Proxy-Secret answer 401 (health and documents stay open). */
  proxySecret?: string;
}

export interface DemoUpstream {
  server: Server;
  /** Listens on `host` (default 127.0.0.1); port 0 picks a free one. Resolves to the bound port. */
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * What a provider's upstream should do with Portico's proxy secret: compare in constant time.
 * Hashing both sides first gives equal-length buffers, so neither the content nor the length of
 * the expected secret leaks through timing.
 */
export function proxySecretMatches(received: string | undefined, expected: string): boolean {
  if (received === undefined) return false;
  return timingSafeEqual(digest(received), digest(expected));
}

function send(res: ServerResponse, response: DemoResponse, verified: boolean): void {
  const body = JSON.stringify(response.body);
  res.writeHead(response.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    [VERIFIED_HEADER]: String(verified),
  });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function route(
  req: IncomingMessage,
  verified: boolean,
  secretRequired: boolean,
): Promise<DemoResponse> {
  const url = new URL(req.url ?? '/', 'http://demo.invalid');
  const method = req.method ?? 'GET';
  if (url.pathname === '/health')
    return { status: 200, body: { status: 'ok', apis: DEMO_APIS.map((api) => api.base) } };
  const [, base, ...rest] = url.pathname.split('/');
  const api: DemoApi | undefined = DEMO_APIS.find((candidate) => candidate.base === base);
  if (!api)
    return problem(
      404,
      'not_found',
      `No demo API at /${base}; try ${DEMO_APIS.map((a) => `/${a.base}`).join(', ')}`,
    );
  const path = `/${rest.join('/')}`;
  if (path === '/openapi.json' && method === 'GET') return { status: 200, body: api.document };
  if (secretRequired && !verified) {
    return problem(
      401,
      'unverified',
      'X-Portico-Proxy-Secret is missing or wrong: call this API through the Portico gateway.',
    );
  }
  let body: unknown;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type))
      return problem(415, 'unsupported_media_type', 'Send Content-Type: application/json');
    const text = await readBody(req);
    if (text === null)
      return problem(413, 'payload_too_large', `The body is limited to ${MAX_BODY_BYTES} bytes`);
    try {
      body = JSON.parse(text);
    } catch {
      return problem(400, 'invalid_json', 'The body is not valid JSON');
    }
  }
  const answer = api.handle({ method, path, query: url.searchParams, body });
  return (
    answer ??
    problem(
      404,
      'not_found',
      `${method} /${api.base}${path} is not an endpoint of ${String((api.document.info as { title: string }).title)}; see /${api.base}/openapi.json`,
    )
  );
}

/** The demo upstream (apps/demo-upstream): a plain node:http server with the demo APIs. */
export function createDemoUpstream(options: DemoUpstreamOptions = {}): DemoUpstream {
  const secret = options.proxySecret;
  const server = createServer((req, res) => {
    const received = req.headers[PROXY_SECRET_HEADER];
    const value = Array.isArray(received) ? received[0] : received;
    const verified = secret ? proxySecretMatches(value, secret) : value !== undefined && value !== '';
    route(req, verified, secret !== undefined).then(
      (response) => send(res, response, verified),
      () => send(res, problem(500, 'internal_error', 'The demo upstream failed'), verified),
    );
  });
  server.keepAliveTimeout = 65_000;
  return {
    server,
    listen: (port, host = '127.0.0.1') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      }),
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
