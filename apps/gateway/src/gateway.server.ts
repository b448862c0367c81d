import { AppError, ReadinessService, requestIdFrom } from '@app/common';
import { GatewayMetrics, GatewayPipeline, sendJson, sendProblem } from '@app/gateway';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayHttpEnv } from './gateway.env';

/** A connection that moves no bytes for this long is closed (a slow client cannot hold an upstream connection forever). */
const IDLE_SOCKET_TIMEOUT_MS = 60_000;

/**
 * The gateway's HTTP server: `/health`, `/ready` and `/metrics` (Prometheus) are answered here,
 * TRACE and CONNECT are refused, and every other request goes through the call pipeline
 * (libs/gateway GatewayPipeline, DESIGN §3).
 */
@Injectable()
export class GatewayServer implements OnApplicationShutdown {
  private readonly logger = new Logger('Gateway');
  private readonly server: Server;

  constructor(
    private readonly readiness: ReadinessService,
    private readonly env: GatewayHttpEnv,
    private readonly pipeline: GatewayPipeline,
    private readonly metrics: GatewayMetrics,
  ) {
    this.server = createServer({ requestTimeout: 60_000, headersTimeout: 20_000 }, (req, res) => {
      this.handle(req, res)?.catch((error: unknown) => {
        this.logger.error({ err: error }, 'unhandled gateway error');
        sendProblem(res, new AppError('internal_error', 'The gateway failed on this request.'), 'unknown');
      });
    });
    this.server.keepAliveTimeout = 65_000;
    this.server.timeout = IDLE_SOCKET_TIMEOUT_MS;
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

  /** Not async itself: the pipeline's promise is returned as it is (no promise wrapping it per call). */
  private handle(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    const url = req.url ?? '/';
    if (url === '/health' || url === '/ready' || url === '/metrics') return this.operational(url, req, res);
    if (req.method === 'TRACE' || req.method === 'CONNECT') {
      const requestId = requestIdFrom(undefined);
      sendProblem(
        res,
        new AppError('method_not_allowed', `${req.method} is not supported by the gateway.`),
        requestId,
      );
      return undefined;
    }
    return this.pipeline.handle(req, res);
  }

  private async operational(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    if (path === '/health') return sendJson(res, 200, { status: 'ok' }, requestId);
    if (path === '/ready') {
      const report = await this.readiness.check();
      return sendJson(res, report.status === 'ok' ? 200 : 503, report, requestId);
    }
    const { contentType, body } = await this.metrics.render();
    res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** Stops accepting connections and waits (up to the grace period) for in-flight requests; idempotent. */
  async drain(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), this.env.GATEWAY_SHUTDOWN_GRACE_MS);
    await closed;
    clearTimeout(timer);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.drain();
  }
}
