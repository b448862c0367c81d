import {
  AppError,
  classifyHostname,
  classVerdict,
  parseIpAddress,
  systemHostLookup,
  upstreamAddressVerdict,
  type HostLookup,
} from '@app/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { buildConnector, Pool, type Dispatcher } from 'undici';
import { filterResponseHeaders } from './headers';

/** Per-API limits of one forwarded call. */
export interface UpstreamLimits {
  connectTimeoutMs: number;
  /** Until the upstream's status line and headers have arrived. */
  headersTimeoutMs: number;
  /** Longest silence between two chunks of the upstream's body. */
  bodyTimeoutMs: number;
  maxRequestBodyBytes: number;
  maxResponseBodyBytes: number;
}

export const DEFAULT_UPSTREAM_LIMITS: Readonly<UpstreamLimits> = Object.freeze({
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  maxRequestBodyBytes: 10 * 1024 * 1024,
  maxResponseBodyBytes: 100 * 1024 * 1024,
});

export interface UpstreamClientOptions {
  /** GATEWAY_ALLOW_PRIVATE_UPSTREAMS: let private/loopback/link-local/CGNAT addresses through (never metadata). */
  allowPrivate: boolean;
  /** Name → addresses; defaults to the system resolver. Tests inject one so nothing leaves loopback. */
  resolve?: HostLookup;
  /** Most upstream origins with an open pool; the least recently used pool is closed. Default 256. */
  maxOrigins?: number;
  /** Keep-alive connections per origin. Default 64. */
  connectionsPerOrigin?: number;
  /** Idle keep-alive sockets close after this. Default 4 s (below most servers' own 5 s). */
  keepAliveTimeoutMs?: number;
}

export interface ForwardRequest {
  /** The listing's upstream origin, `https://api.example.com[:port]` (never taken from the request). */
  origin: string;
  method: string;
  /** Path and query for the upstream (routing/path.ts). */
  target: string;
  /** Flat [name, value, …] request headers (forwarding/headers.ts), Host included. */
  headers: string[];
  /** The consumer's request, streamed to the upstream as it arrives; null when it has no body. */
  body: IncomingMessage | Readable | null;
  /** The request's Content-Length when it sent one. */
  contentLength?: number;
  limits: UpstreamLimits;
}

export interface ForwardResult {
  /** ok: the response went out whole; client_aborted: the consumer went away; truncated: the upstream failed or overflowed mid-body (connection cut). */
  outcome: 'ok' | 'client_aborted' | 'truncated';
  statusCode: number;
  /** X-Portico-Billing-Units reported by the upstream (stripped from the response), or null. */
  billingUnits: number | null;
  bytesIn: number;
  bytesOut: number;
}

/** The upstream's address is not one the gateway may call (SSRF policy at connect time). */
export class UpstreamAddressRefusedError extends Error {
  readonly code = 'UPSTREAM_ADDRESS_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamAddressRefusedError';
  }
}

class RequestBodyTooLargeError extends Error {
  readonly code = 'REQUEST_BODY_TOO_LARGE';
}

class ResponseBodyTooLargeError extends Error {
  readonly code = 'RESPONSE_BODY_TOO_LARGE';
}

/** Counts the request body while it streams and fails it once it passes the limit. */
class BodyLimit extends Transform {
  bytes = 0;
  constructor(private readonly max: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) callback(new RequestBodyTooLargeError(`request body over ${this.max} bytes`));
    else callback(null, chunk);
  }
}

/**
 * Writes the upstream response straight into the consumer's response: a plain undici dispatch
 * handler (no intermediate Writable, no AsyncResource, no end-of-stream listeners per call — what
 * `Pool.stream` adds on the hot path), with backpressure (undici's parser pauses while the
 * consumer's socket is full and resumes on 'drain'), counting bytes and enforcing the response
 * size limit. `done` settles once: null when the response went out whole (the consumer's socket
 * took the last byte), otherwise the error that ended it.
 *
 * Without backpressure when the upstream closes the connection after the response
 * (`Connection: close`): undici 7.x (nodejs/undici#5360, fixed upstream in #5389/#5474, not in
 * the 7.x we can install on Node 20) throws an uncatchable AssertionError from the socket's
 * 'end' handler when its parser is paused by backpressure as the FIN arrives — it would crash
 * the gateway. For those responses the handler never pauses undici; the consumer's socket buffers
 * instead, bounded by the response size limit.
 */
class ResponseForwarder implements Dispatcher.DispatchHandler {
  statusCode = 0;
  billingUnits: number | null = null;
  bytes = 0;
  /** The consumer went away before the response was out. */
  clientGone = false;
  private abortUpstream?: (reason?: Error) => void;
  private settled = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly limits: UpstreamLimits,
    private readonly extraHeaders: Record<string, string>,
    private readonly done: (error: Error | null) => void,
  ) {}

  /** Ends the call with `error` (the consumer went away, a limit was passed): undici stops too. */
  fail(error: Error): void {
    this.abortUpstream?.(error);
    this.settle(error);
  }

  onConnect(abort: (reason?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.settled) abort(new Error('call already ended'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx: informational, not passed on (as before)
    this.statusCode = statusCode;
    const filtered = filterResponseHeaders(rawHeaders);
    this.billingUnits = filtered.billingUnits;
    const length = filtered.contentLength;
    if (length !== undefined && length > this.limits.maxResponseBodyBytes) {
      throw new ResponseBodyTooLargeError(
        `response Content-Length ${length} over ${this.limits.maxResponseBodyBytes}`,
      );
    }
    // filtered.headers is a fresh flat list: extended in place, and written by writeHead as it is
    // (no header object per call)
    const headers = filtered.headers;
    for (const name in this.extraHeaders) headers.push(name, this.extraHeaders[name]);
    this.res.writeHead(statusCode, headers);
    // One write for the head and whatever of the body undici parses from the same read: uncorked,
    // Node writes the head alone, then each chunk (a syscall each). The upstream's whole answer to
    // a small call is in one read, so `end()` (onComplete, same tick) flushes head + body + end as
    // one writev; a streamed body is flushed at the end of this tick and written as it comes after.
    this.res.cork();
    process.nextTick(uncork, this.res);
    if (!filtered.closes) this.resume = resume;
    return true;
  }

  /** Set when backpressure applies (not for `Connection: close` responses, see above). */
  private resume?: () => void;

  onData(chunk: Buffer): boolean {
    if (this.settled) return true;
    this.bytes += chunk.length;
    if (this.bytes > this.limits.maxResponseBodyBytes) {
      this.fail(
        new ResponseBodyTooLargeError(`response body over ${this.limits.maxResponseBodyBytes} bytes`),
      );
      return true;
    }
    if (this.res.destroyed) {
      this.fail(new Error('client closed the connection'));
      return true;
    }
    if (this.res.write(chunk) || !this.resume) return true;
    this.res.once('drain', this.resume);
    return false;
  }

  onComplete(): void {
    if (this.settled) return;
    this.res.end(() => this.settle(null));
  }

  onError(error: Error): void {
    this.settle(error);
  }

  /** The consumer's connection closed: before the last byte went out, that aborts the call. */
  onClientClose(): void {
    if (this.res.writableFinished || this.settled) return;
    this.clientGone = true;
    this.fail(new Error('client closed the connection'));
  }

  private settle(error: Error | null): void {
    if (this.settled) return;
    this.settled = true;
    this.done(error);
  }
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UPSTREAM_ADDRESS_REFUSED',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The forwarder of DESIGN §3 step 5: one undici Pool per upstream origin (keep-alive, bounded,
 * least-recently-used pools closed), both bodies streamed (a dispatch handler writing straight into the
 * consumer's response), redirects passed through as they are, no retries of any method, per-API
 * timeouts and body limits, and the SSRF policy applied at connect time on the address actually
 * dialled (DNS-rebinding safe: the connector resolves the name itself and connects to the
 * checked IP, keeping the name for TLS SNI).
 */
export class UpstreamClient {
  private readonly pools = new Map<string, Pool>();
  /** The pool used last: the newest entry of `pools`. */
  private lastPool?: { origin: string; connectTimeoutMs: number; pool: Pool };
  private readonly resolve: HostLookup;
  private readonly maxOrigins: number;

  constructor(private readonly options: UpstreamClientOptions) {
    this.resolve = options.resolve ?? systemHostLookup;
    this.maxOrigins = options.maxOrigins ?? 256;
  }

  /** Number of origins with an open pool. */
  get poolCount(): number {
    return this.pools.size;
  }

  /**
   * Forwards one call and streams the answer into `res` (status, filtered headers plus
   * `extraHeaders`, body). Throws AppError before the response has started: payload_too_large
   * (413), upstream_timeout (504), upstream_unavailable (502), upstream_error (502, e.g. a
   * response over the size limit by its Content-Length). After it has started, a failure cuts
   * the connection and the result says `truncated`.
   */
  async forward(
    request: ForwardRequest,
    res: ServerResponse,
    extraHeaders: Record<string, string> = {},
  ): Promise<ForwardResult> {
    const { limits } = request;
    if (request.contentLength !== undefined && request.contentLength > limits.maxRequestBodyBytes) {
      res.setHeader('Connection', 'close');
      throw payloadTooLarge(limits.maxRequestBodyBytes);
    }
    let body: Readable | null = request.body;
    let counter: BodyLimit | null = null;
    if (request.body && request.contentLength === undefined) {
      counter = new BodyLimit(limits.maxRequestBodyBytes);
      const source = request.body;
      source.on('error', (error: Error) => counter?.destroy(error));
      source.pipe(counter);
      counter.on('error', () => source.unpipe(counter ?? undefined));
      body = counter;
    }

    const options: Dispatcher.DispatchOptions = {
      path: request.target,
      method: request.method,
      headers: request.headers,
      body,
      headersTimeout: limits.headersTimeoutMs,
      bodyTimeout: limits.bodyTimeoutMs,
      // undici never retries by itself; idempotent: false also stops it from pipelining behind this call
      idempotent: false,
    };
    let forwarder: ResponseForwarder | undefined;
    const onClose = (): void => forwarder?.onClientClose();
    res.once('close', onClose);
    try {
      await new Promise<void>((resolve, reject) => {
        const handler = new ResponseForwarder(res, limits, extraHeaders, (error) =>
          error ? reject(error) : resolve(),
        );
        forwarder = handler;
        // a failing request body (the size counter, or the consumer's stream) ends the call
        body?.on('error', (error: Error) => handler.onError(error));
        this.pool(request.origin, limits.connectTimeoutMs).dispatch(options, handler);
      });
    } catch (error) {
      res.off('close', onClose);
      const bytesIn = counter?.bytes ?? request.contentLength ?? 0;
      const { statusCode = 0, billingUnits = null, bytes: bytesOut = 0 } = forwarder ?? {};
      if (forwarder?.clientGone)
        return { outcome: 'client_aborted', statusCode, billingUnits, bytesIn, bytesOut };
      if (res.headersSent) {
        res.destroy();
        return { outcome: 'truncated', statusCode, billingUnits, bytesIn, bytesOut };
      }
      throw this.toAppError(error, limits);
    }
    res.off('close', onClose);
    return {
      outcome: 'ok',
      statusCode: forwarder?.statusCode ?? 0,
      billingUnits: forwarder?.billingUnits ?? null,
      bytesIn: counter?.bytes ?? request.contentLength ?? 0,
      bytesOut: forwarder?.bytes ?? 0,
    };
  }

  /** Closes every pool (graceful: in-flight calls finish). */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    this.lastPool = undefined;
    await Promise.allSettled(pools.map((pool) => pool.close()));
  }

  private toAppError(error: unknown, limits: UpstreamLimits): AppError {
    if (error instanceof AppError) return error;
    if (error instanceof RequestBodyTooLargeError || findInChain(error, RequestBodyTooLargeError)) {
      return payloadTooLarge(limits.maxRequestBodyBytes);
    }
    if (error instanceof ResponseBodyTooLargeError) {
      return new AppError(
        'upstream_error',
        `The API's response is larger than the ${limits.maxResponseBodyBytes} bytes the gateway passes on.`,
      );
    }
    const code = errorCode(error);
    if (code && TIMEOUT_CODES.has(code)) {
      const which =
        code === 'UND_ERR_CONNECT_TIMEOUT'
          ? `connect within ${limits.connectTimeoutMs} ms`
          : code === 'UND_ERR_HEADERS_TIMEOUT'
            ? `answer within ${limits.headersTimeoutMs} ms`
            : `send its body (silent for ${limits.bodyTimeoutMs} ms)`;
      return new AppError(
        'upstream_timeout',
        `The API's server did not ${which}. Retry later; if it keeps happening, tell the provider.`,
        { cause: code },
      );
    }
    if (code === 'UPSTREAM_ADDRESS_REFUSED') {
      return new AppError(
        'upstream_unavailable',
        "The API's server address is not one the gateway may call. The provider must fix the API's upstream URL.",
        { cause: code },
      );
    }
    if (code && UNAVAILABLE_CODES.has(code)) {
      return new AppError(
        'upstream_unavailable',
        `The API's server could not be reached (${code}). Retry later; if it keeps happening, tell the provider.`,
        { cause: code },
      );
    }
    return new AppError(
      'upstream_unavailable',
      "The API's server failed this call. Retry later; if it keeps happening, tell the provider.",
      { cause: code ?? 'unknown' },
    );
  }

  private pool(origin: string, connectTimeoutMs: number): Pool {
    const last = this.lastPool;
    // the most recently used pool needs no key and no LRU move (the common case: one hot origin)
    if (last && last.origin === origin && last.connectTimeoutMs === connectTimeoutMs) return last.pool;
    const key = `${origin}|${connectTimeoutMs}`;
    const existing = this.pools.get(key);
    if (existing) {
      this.pools.delete(key);
      this.pools.set(key, existing);
      this.lastPool = { origin, connectTimeoutMs, pool: existing };
      return existing;
    }
    if (this.pools.size >= this.maxOrigins) {
      const [oldestKey, oldest] = this.pools.entries().next().value as [string, Pool];
      this.pools.delete(oldestKey);
      if (this.lastPool?.pool === oldest) this.lastPool = undefined;
      void oldest.close().catch(() => undefined);
    }
    const pool = new Pool(origin, {
      connections: this.options.connectionsPerOrigin ?? 64,
      pipelining: 1,
      keepAliveTimeout: this.options.keepAliveTimeoutMs ?? 4_000,
      connect: this.guardedConnector(connectTimeoutMs),
    });
    this.pools.set(key, pool);
    this.lastPool = { origin, connectTimeoutMs, pool };
    return pool;
  }

  /** undici's connector, dialling only an address the SSRF policy allows (checked after resolution). */
  private guardedConnector(timeoutMs: number): buildConnector.connector {
    const connect = buildConnector({ timeout: timeoutMs });
    const policy = { allowPrivate: this.options.allowPrivate };
    return (opts, callback) => {
      const started = Date.now();
      this.checkedAddress(opts.hostname, policy).then(
        (address) => {
          const left = timeoutMs - (Date.now() - started);
          if (left <= 0)
            return callback(
              Object.assign(new Error('connect timeout while resolving'), {
                code: 'UND_ERR_CONNECT_TIMEOUT',
              }),
              null,
            );
          connect({ ...opts, hostname: address }, callback);
        },
        (error: Error) => callback(error, null),
      );
    };
  }

  private async checkedAddress(hostname: string, policy: { allowPrivate: boolean }): Promise<string> {
    const literal = parseIpAddress(hostname);
    if (literal) {
      const verdict = upstreamAddressVerdict(literal.text, policy);
      if (!verdict.allowed) throw new UpstreamAddressRefusedError(`upstream ${verdict.reason}`);
      return literal.text;
    }
    const named = classifyHostname(hostname);
    if (named) {
      const verdict = classVerdict(named, `is ${hostname}`, policy);
      if (!verdict.allowed) throw new UpstreamAddressRefusedError(`upstream ${verdict.reason}`);
    }
    const addresses = named === 'loopback' ? ['127.0.0.1'] : await this.resolve(hostname);
    if (addresses.length === 0)
      throw Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' });
    for (const address of addresses) {
      const verdict = upstreamAddressVerdict(address, policy, `${hostname} resolves to`);
      if (!verdict.allowed) throw new UpstreamAddressRefusedError(`upstream ${verdict.reason}`);
    }
    return parseIpAddress(addresses[0])?.text ?? addresses[0];
  }
}

const uncork = (res: ServerResponse): void => res.uncork();

function payloadTooLarge(max: number): AppError {
  return new AppError(
    'payload_too_large',
    `The request body is larger than the ${max} bytes this API accepts.`,
    { limit: max },
  );
}

function findInChain(error: unknown, type: new (...args: never[]) => Error): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    if (current instanceof type) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** Content-Length of an incoming request, or undefined when it has none (chunked, or no body). */
export function requestContentLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined) return undefined;
  const length = Number(raw);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/** Whether an incoming request carries a body (Content-Length > 0 or Transfer-Encoding). */
export function requestHasBody(req: IncomingMessage): boolean {
  const length = requestContentLength(req);
  return (length !== undefined && length > 0) || req.headers['transfer-encoding'] !== undefined;
}
