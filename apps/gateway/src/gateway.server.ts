import { AppError, ReadinessService, requestIdFrom } from '@app/common';
import { KeyResolver, KeyUsageRecorder, type KeyRejectionCode } from '@app/identity';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayHttpEnv } from './gateway.env';
import { sendJson, sendProblem } from './problem-response';

const KEY_REJECTIONS: Record<KeyRejectionCode, string> = {
  invalid_api_key: 'This is not a valid Portico key. Copy it again from your application\'s keys page; keys look like mp_live_… or mp_test_….',
  key_revoked: 'This key has been revoked. Create or rotate a key in your application and use the new one.',
  key_expired: 'This key has expired. Create a new key, or set a later expiry on a key that is still valid.',
};

/**
 * The gateway's HTTP server. Health and readiness are answered here; every other request goes
 * through the call pipeline (DESIGN §3), whose steps land with the catalog and subscriptions.
 */
@Injectable()
export class GatewayServer implements OnApplicationShutdown {
  private readonly logger = new Logger('Gateway');
  private readonly server: Server;

  constructor(
    private readonly readiness: ReadinessService,
    private readonly env: GatewayHttpEnv,
    private readonly keys: KeyResolver,
    private readonly keyUsage: KeyUsageRecorder,
  ) {
    this.server = createServer({ requestTimeout: 60_000, headersTimeout: 20_000 }, (req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        const requestId = String(res.getHeader('X-Portico-Request-Id') ?? 'unknown');
        this.logger.error({ err: error, requestId }, 'unhandled gateway error');
        sendProblem(res, new AppError('internal_error', `The gateway failed on this request. Quote request id ${requestId}.`), requestId);
      });
    });
    this.server.keepAliveTimeout = 65_000;
  }

  async listen(port = this.env.GATEWAY_PORT, host?: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  get httpServer(): Server {
    return this.server;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('X-Portico-Request-Id', requestId);
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/health') return sendJson(res, 200, { status: 'ok' }, requestId);
    if (path === '/ready') {
      const report = await this.readiness.check();
      return sendJson(res, report.status === 'ok' ? 200 : 503, report, requestId);
    }
    if (req.method === 'TRACE' || req.method === 'CONNECT') {
      return sendProblem(res, new AppError('method_not_allowed', `${req.method} is not supported by the gateway.`), requestId);
    }
    const rawKey = req.headers['x-portico-key'];
    if (typeof rawKey !== 'string' || rawKey.length === 0) {
      return sendProblem(res, new AppError('invalid_api_key', 'Send your Portico key in the X-Portico-Key header.'), requestId);
    }
    const resolution = await this.keys.resolve(rawKey);
    if (!resolution.ok) return sendProblem(res, new AppError(resolution.code, KEY_REJECTIONS[resolution.code]), requestId);
    this.keyUsage.record(resolution.key.keyId);
    const slug = path?.split('/')[1] ?? '';
    sendProblem(
      res,
      new AppError('api_not_found', `No API is published under "${slug}". Call {GATEWAY_URL}/{api-slug}/{path} with a slug from the marketplace.`),
      requestId,
    );
  }

  /** Stops accepting connections and waits (up to the grace period) for in-flight requests. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), this.env.GATEWAY_SHUTDOWN_GRACE_MS);
    await closed;
    clearTimeout(timer);
  }
}
