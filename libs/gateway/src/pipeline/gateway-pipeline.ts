import { AppError, timeOrderedUuid, type UsageEvent, TrustedProxies } from '@app/common';
import { IdentityEnv, KeyResolver, type KeyRejectionCode, type ResolvedApiKey } from '@app/identity';
import { Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  buildUpstreamRequestHeaders,
  applyQueryCredential,
  type UpstreamCredential,
} from '../forwarding/headers';
import { UpstreamClient, type ForwardResult, type UpstreamLimits } from '../forwarding/upstream-client';
import { limitRejectionError } from '../limiter/limit-headers';
import { LimiterService } from '../limiter/limiter.service';
import type { LimitDecision, LimitRequest } from '../limiter/limiter.types';
import { GatewayMetrics, type GatewayOutcome } from '../metrics/gateway-metrics';
import { MockResponseCache } from '../mock/mock-response';
import {
  endpointKey,
  GatewayDirectory,
  type DirectoryApi,
  type DirectoryEndpoint,
  type DirectorySubscription,
  type UpstreamBase,
} from '../resolution/gateway-directory';
import { resolveUpstreamPath, splitGatewayTarget } from '../routing/path';
import { UsageBuffer } from '../usage/usage-buffer';
import { authorizeKey, authorizeSubscription } from './authorize';
import { GatewayPipelineEnv } from './gateway-pipeline.env';
import { limitRequestFor, type TestCallLimits } from './limit-request';
import { spendCapRejection } from './spend-cap';
import { sendProblem } from './problem-response';

const KEY_REJECTIONS: Record<KeyRejectionCode, string> = {
  invalid_api_key:
    "This is not a valid Portico key. Copy it again from your application's keys page; keys look like mp_live_… or mp_test_….",
  key_revoked: 'This key has been revoked. Create or rotate a key in your application and use the new one.',
  key_expired: 'This key has expired. Create a new key, or set a later expiry on a key that is still valid.',
};

/** What the pipeline learnt about a call, for the usage event and the metrics (filled step by step). */
interface CallState {
  requestId: string;
  startedAt: number;
  at: Date;
  /** `at` in ISO-8601, for the usage event (taken when the call starts: calls start in time order, so the per-ms memo hits). */
  atIso: string;
  method: string;
  key?: ResolvedApiKey;
  api?: DirectoryApi;
  sub?: DirectorySubscription;
  endpoint?: DirectoryEndpoint | null;
  limitRequest?: LimitRequest;
  decision?: LimitDecision;
}

/**
 * The call path of DESIGN §3 as one ordered pipeline of small steps — parse key → resolve →
 * authorize → limit → forward (or mock) → respond → record — on a plain node:http request (no
 * Nest router, guards, interceptors or RxJS). Per request: no database access (caches with
 * pub/sub invalidation), one Redis round trip (the limiter), no body parsing, and the usage event
 * pushed to an in-memory buffer after the response.
 */
@Injectable()
export class GatewayPipeline {
  private readonly logger = new Logger('Gateway');
  private readonly subscribeBase: string;
  private readonly subscriptionsBase: string;
  private readonly testLimits: TestCallLimits;
  private readonly mocks = new MockResponseCache();
  private readonly trustedProxies: TrustedProxies;
  /** Per cached API object (replaced, never mutated, when the API changes): its forwarding limits. */
  private readonly apiLimits = new WeakMap<DirectoryApi, UpstreamLimits>();

  constructor(
    private readonly keys: KeyResolver,
    private readonly directory: GatewayDirectory,
    private readonly limiter: LimiterService,
    private readonly upstream: UpstreamClient,
    private readonly usage: UsageBuffer,
    private readonly metrics: GatewayMetrics,
    private readonly env: GatewayPipelineEnv,
    identityEnv: IdentityEnv,
  ) {
    this.trustedProxies = TrustedProxies.parse(env.GATEWAY_TRUSTED_PROXIES);
    this.subscribeBase = `${identityEnv.PUBLIC_URL.replace(/\/+$/, '')}/apis/`;
    this.subscriptionsBase = `${identityEnv.PUBLIC_URL.replace(/\/+$/, '')}/subscriptions/`;
    this.testLimits = {
      perSecond: env.GATEWAY_TEST_CALLS_PER_SECOND,
      perMinute: env.GATEWAY_TEST_CALLS_PER_MINUTE,
    };
  }

  /** Handles one gateway call; never throws (every failure becomes a problem response). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = new Date();
    const call: CallState = {
      // always the gateway's own id: metering counts a request id once, so a client must not choose
      // it; time-ordered (UUIDv7), so the request log's primary key grows at its right edge
      requestId: timeOrderedUuid(at.getTime()),
      startedAt: performance.now(),
      at,
      atIso: isoString(at),
      method: req.method ?? 'GET',
    };
    this.metrics.inflight(1);
    try {
      await this.run(req, res, call);
    } catch (error) {
      const appError =
        error instanceof AppError
          ? error
          : new AppError(
              'internal_error',
              `The gateway failed on this call. Quote request id ${call.requestId}.`,
            );
      if (!(error instanceof AppError))
        this.logger.error({ err: error, requestId: call.requestId }, 'unhandled gateway error');
      this.reject(res, call, appError);
    } finally {
      this.metrics.inflight(-1);
    }
  }

  private async run(req: IncomingMessage, res: ServerResponse, call: CallState): Promise<void> {
    // 1. parse the key (offline checksum) and 2. resolve it
    const rawKey = req.headers['x-portico-key'];
    if (typeof rawKey !== 'string' || rawKey.length === 0)
      throw new AppError('invalid_api_key', 'Send your Portico key in the X-Portico-Key header.');
    // cache hits (nearly every call) are answered synchronously: the only awaits left on the hot
    // path are the limiter's EVALSHA and the upstream
    const resolving = this.keys.resolveCached(rawKey, call.at);
    const resolved = resolving instanceof Promise ? await resolving : resolving;
    if (!resolved.ok) throw new AppError(resolved.code, KEY_REJECTIONS[resolved.code]);
    const key = (call.key = resolved.key);

    // 2. resolve the API and the consumer's subscription
    const target = splitGatewayTarget(req.url ?? '/');
    const apiLookup = target && this.directory.api(target.slug);
    const found = apiLookup instanceof Promise ? await apiLookup : apiLookup;
    if (!target || !found) throw apiNotFound(target?.slug ?? '');
    const api = (call.api = found);
    const slug = target.slug;

    // 3. authorize the key, then the subscription
    const client = this.trustedProxies.clientOf(
      req.socket.remoteAddress,
      'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http',
      req.headers['x-forwarded-for'],
      req.headers['x-forwarded-proto'],
    );
    const keyProblem = authorizeKey(key, { slug, remoteAddress: client.address, origin: req.headers.origin });
    if (keyProblem) throw keyProblem;
    const subLookup = this.directory.subscription(key.accountId, api.api.apiId);
    let sub = subLookup instanceof Promise ? await subLookup : subLookup;
    if (!sub && key.mode === 'test')
      sub = await this.directory.subscribeOnFirstTest(key.accountId, api.api.apiId);
    const subscribeUrl = this.subscribeBase + slug;
    if (!sub) {
      throw new AppError(
        'not_subscribed',
        `Your account has no subscription to ${slug}. Pick a plan at ${subscribeUrl}, then call again with the same key.`,
        { subscribeUrl },
      );
    }
    call.sub = sub;
    const subProblem = authorizeSubscription(sub, call.at.getTime(), { slug, subscribeUrl });
    if (subProblem) throw subProblem;
    const capProblem = spendCapRejection(
      sub,
      key.mode,
      call.at.getTime(),
      this.subscriptionsBase + sub.subscriptionId,
    );
    if (capProblem) throw capProblem;

    // route: the path under the API's mount, and the endpoint it names
    const relative = resolveUpstreamPath(target.rest, '');
    const endpoint = (call.endpoint = api.matcher.match(call.method, relative.path));
    if (sub.includedEndpoints && (!endpoint || !sub.includedEndpoints.has(endpointKey(endpoint)))) {
      const what = endpoint ? endpointKey(endpoint) : `${call.method} ${relative.path}`;
      throw new AppError(
        'endpoint_not_in_plan',
        `${what} is not included in the ${sub.planName} plan. Upgrade at ${subscribeUrl} to a plan that includes it.`,
        { plan: sub.planName, endpoint: what, upgradeUrl: subscribeUrl },
      );
    }

    // 4. limits and quota: one Redis round trip
    const limitRequest = (call.limitRequest = limitRequestFor(sub, endpoint, key.mode, this.testLimits));
    const decision = (call.decision = await this.limiter.decide(limitRequest));
    if (!decision.allowed)
      throw limitRejectionError(decision, { planName: sub.planName, upgradeUrl: subscribeUrl });

    // the decision's headers are this call's own object: extended in place (copying them by spread
    // cost ~1.5 µs a call)
    const extra = decision.headers;
    extra['X-Portico-Request-Id'] = call.requestId;
    if (api.api.status === 'deprecated') {
      extra['Deprecation'] = 'true';
      if (api.api.sunsetAt) extra['Sunset'] = api.api.sunsetAt.toUTCString();
    }

    // 5. forward (or, for a test key without a sandbox, answer from the OpenAPI examples)
    const base: UpstreamBase | null = key.mode === 'test' ? api.sandbox : api.live;
    if (!base) return this.mock(req, res, call, endpoint, relative.path, extra);
    const upstreamPath =
      base.basePath === ''
        ? relative.path
        : target.rest === '' || target.rest.startsWith('?')
          ? base.basePath
          : base.basePath + relative.path;
    const credential: UpstreamCredential | undefined = api.api.credential
      ? { in: api.api.credential.location, name: api.api.credential.name, value: api.api.credential.value }
      : undefined;
    const query =
      credential?.in === 'query' ? applyQueryCredential(relative.query, credential) : relative.query;
    const headers = buildUpstreamRequestHeaders(req.rawHeaders, {
      forwardedFor: client.forwardedFor,
      proto: client.proto,
      upstreamHost: base.host,
      proxySecret: api.api.proxySecret,
      userId: key.accountId,
      subscriptionId: sub.subscriptionId,
      planId: sub.planId,
      requestId: call.requestId,
      credential,
    });
    const contentLength = parseContentLength(req.headers['content-length']);
    const hasBody =
      contentLength !== undefined ? contentLength > 0 : req.headers['transfer-encoding'] !== undefined;
    let result: ForwardResult;
    try {
      result = await this.upstream.forward(
        {
          origin: base.origin,
          method: call.method,
          target: query === null ? upstreamPath : `${upstreamPath}?${query}`,
          headers,
          body: hasBody ? req : null,
          contentLength,
          limits: this.limits(api),
        },
        res,
        extra,
      );
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code.startsWith('upstream_')) this.metrics.upstreamError(error.code);
      // the limit headers still describe the windows this call consumed
      throw new AppError(error.code, error.detail, error.extensions, {
        ...decision.headers,
        ...error.headers,
      });
    }
    if (result.outcome === 'truncated') this.metrics.upstreamError('truncated');
    this.record(call, result.statusCode || 502, 'forwarded', result, null);
  }

  private mock(
    req: IncomingMessage,
    res: ServerResponse,
    call: CallState,
    endpoint: DirectoryEndpoint | null,
    path: string,
    extra: Record<string, string>,
  ): void {
    if (!endpoint) {
      throw new AppError(
        'route_not_found',
        `No operation of this API's OpenAPI document matches ${call.method} ${path}. Test calls to an API without a sandbox are answered from the document's examples, so only documented operations answer.`,
      );
    }
    const mock = this.mocks.get(endpoint.id, endpoint, req.headers.accept);
    const headers: Record<string, string | number> = {
      ...extra,
      'X-Portico-Mock': 'true',
      'X-Portico-Generated': 'true',
      'Content-Length': mock.body.length,
    };
    if (mock.contentType) headers['Content-Type'] = mock.contentType;
    req.resume();
    res.writeHead(mock.status, headers);
    res.end(call.method === 'HEAD' ? undefined : mock.body);
    this.record(
      call,
      mock.status,
      'mocked',
      { bytesIn: 0, bytesOut: mock.body.length, billingUnits: null },
      null,
    );
  }

  private limits(api: DirectoryApi): UpstreamLimits {
    let limits = this.apiLimits.get(api);
    if (!limits) {
      const timeout = api.api.timeoutMs;
      limits = {
        connectTimeoutMs: Math.min(this.env.GATEWAY_CONNECT_TIMEOUT_MS, timeout),
        headersTimeoutMs: timeout,
        bodyTimeoutMs: timeout,
        maxRequestBodyBytes: this.env.GATEWAY_MAX_REQUEST_BODY_BYTES,
        maxResponseBodyBytes: this.env.GATEWAY_MAX_RESPONSE_BODY_BYTES,
      };
      this.apiLimits.set(api, limits);
    }
    return limits;
  }

  private reject(res: ServerResponse, call: CallState, error: AppError): void {
    sendProblem(res, error, call.requestId);
    this.record(call, error.status, 'rejected', { bytesIn: 0, bytesOut: 0, billingUnits: null }, error.code);
  }

  /** 6–7: metrics now, the usage event into the buffer (never awaited). */
  private record(
    call: CallState,
    status: number,
    outcome: GatewayOutcome,
    io: Pick<ForwardResult, 'bytesIn' | 'bytesOut' | 'billingUnits'>,
    errorCode: string | null,
  ): void {
    const latencyMs = performance.now() - call.startedAt;
    const isUpstreamError = errorCode !== null && errorCode.startsWith('upstream_');
    this.metrics.observe(
      isUpstreamError ? 'upstream_error' : outcome,
      errorCode ?? status,
      call.method,
      latencyMs / 1000,
    );
    const key = call.key;
    if (!key) return; // nobody to attribute the call to
    const generated = outcome !== 'forwarded';
    const live = key.mode === 'live';
    const billable = live && !generated && status < 500;
    // the endpoint's weight in the plan, as the limiter counted it against the quota
    const weight = call.decision?.allowed && call.limitRequest ? call.limitRequest.weight : 1;
    const units = billable ? (io.billingUnits ?? weight) : 0;
    const event: UsageEvent = {
      requestId: call.requestId,
      at: call.atIso,
      keyId: key.keyId,
      keyPrefix: key.display,
      applicationId: key.applicationId,
      consumerAccountId: key.accountId,
      apiId: call.api?.api.apiId ?? null,
      subscriptionId: call.sub?.subscriptionId ?? null,
      planId: call.sub?.planId ?? null,
      endpointId: call.endpoint?.id ?? null,
      method: call.method,
      status,
      latencyMs: Math.round(latencyMs * 1000) / 1000,
      bytesIn: io.bytesIn,
      bytesOut: io.bytesOut,
      mode: key.mode,
      billableUnits: units,
      overageUnits: billable && call.decision?.allowed ? Math.min(units, call.decision.overageUnits) : 0,
      generated,
      errorCode,
    };
    this.usage.push(event);
  }
}

let isoMs = NaN;
let iso = '';

/** `at.toISOString()`, memoised for the last millisecond seen (a busy gateway stamps several calls per ms). */
function isoString(at: Date): string {
  const ms = at.getTime();
  if (ms !== isoMs) {
    isoMs = ms;
    iso = at.toISOString();
  }
  return iso;
}

function apiNotFound(slug: string): AppError {
  return new AppError(
    'api_not_found',
    `No API is published under "${slug}". Call {GATEWAY_URL}/{api-slug}/{path} with a slug from the marketplace.`,
  );
}

function parseContentLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}
