import {
  API_CHANGED_EVENT,
  ENDPOINTS_CHANGED_EVENT,
  EndpointsService,
  GatewayCatalogService,
  PLANS_CHANGED_EVENT,
  type ApiChangedMessage,
  type GatewayApi,
} from '@app/catalog';
import { EventBus, InvalidatingCache } from '@app/common';
import {
  SUBSCRIPTION_CHANGED_EVENT,
  SubscriptionsService,
  UsageControlsService,
  type SubscriptionStatus,
} from '@app/subscriptions';
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { QuotaMode, RateLimits } from '../limiter/limiter.types';
import type { MockableEndpoint } from '../mock/mock-response';
import { EndpointMatcher, type EndpointRoute } from '../routing/endpoint-matcher';

/** An upstream base URL split for forwarding: the origin the pool dials, the path calls are mounted under. */
export interface UpstreamBase {
  origin: string;
  /** The base URL's path without a trailing slash ('' for the root). */
  basePath: string;
  /** host[:port] of the origin (the upstream's Host header), parsed once per cached API, not per call. */
  host: string;
}

export type DirectoryEndpoint = EndpointRoute & MockableEndpoint;

/** An API as the gateway routes it (cached per slug). */
export interface DirectoryApi {
  api: GatewayApi;
  live: UpstreamBase;
  /** Null: test calls are answered from the OpenAPI examples. */
  sandbox: UpstreamBase | null;
  matcher: EndpointMatcher<DirectoryEndpoint>;
  endpoints: ReadonlyMap<string, DirectoryEndpoint>;
}

/** A consumer's live subscription to an API with the terms of its plan (cached per consumer × API). */
export interface DirectorySubscription {
  subscriptionId: string;
  consumerAccountId: string;
  apiId: string;
  status: SubscriptionStatus;
  planId: string;
  planName: string;
  paid: boolean;
  rateLimits: RateLimits;
  quotaLimit: number | null;
  quotaMode: QuotaMode;
  /** "METHOD /path" keys the plan includes; null = every endpoint. */
  includedEndpoints: ReadonlySet<string> | null;
  endpointWeights: Readonly<Record<string, number>>;
  endpointRateLimits: Readonly<Record<string, RateLimits>>;
  /** Epoch ms; null while no period runs (pending_approval, incomplete). */
  periodStart: number | null;
  periodEnd: number | null;
  cancelAtPeriodEnd: boolean;
  /** past_due: epoch ms until which calls are still answered (billing's dunning grace), else null. */
  paymentGraceEndsAt?: number | null;
  /**
   * Set when the worker found the consumer's overage spend cap reached in the current period: live
   * calls answer 429 `spend_cap_reached`. Cleared by a new period, a raised or removed cap (both
   * announced as subscription changes).
   */
  spendCapReached: { amountMinor: number; currency: string; currencyMinorUnits: number } | null;
}

export function endpointKey(endpoint: Pick<EndpointRoute, 'method' | 'path'>): string {
  return `${endpoint.method} ${endpoint.path}`;
}

function upstreamBase(url: string): UpstreamBase {
  const parsed = new URL(url);
  return { origin: parsed.origin, basePath: parsed.pathname.replace(/\/+$/, ''), host: parsed.host };
}

const TTL_MS = 30_000;
/** Hot entries reload in the background in their last 5 s, so no burst of calls waits on PostgreSQL. */
const REFRESH_AHEAD_MS = 5_000;
/**
 * An entry idle past its TTL still answers for this long while it reloads in the background: an
 * API called every minute or so does not wait on PostgreSQL for each call (InvalidatingCache).
 */
const SERVE_STALE_MS = 30_000;
/** Background reloads spread over this much time, so a burst of them cannot stall calls (InvalidatingCache). */
const REFRESH_SPREAD_MS = 250;

/**
 * Step 2 of the call path (DESIGN §3): slug → API (upstreams, secrets, endpoints) and
 * (consumer, API) → live subscription with its plan, from in-process caches filled from
 * PostgreSQL. Every change is announced on the EventBus and dropped here at once (API edits,
 * endpoint republishing, plan edits, subscription changes); reconnecting drops everything, and
 * 60 s (the TTL, then serving stale while reloading) bound staleness should a message be lost.
 * An entry never outlives the API's `cacheUntil` or the subscription's period end.
 */
@Injectable()
export class GatewayDirectory implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(GatewayDirectory.name);
  private readonly apis: InvalidatingCache<DirectoryApi>;
  private readonly subscriptions: InvalidatingCache<DirectorySubscription>;
  private unsubscribers: (() => void)[] = [];
  private listening?: Promise<void>;
  private destroyed = false;

  constructor(
    private readonly catalog: GatewayCatalogService,
    private readonly endpointsService: EndpointsService,
    private readonly subscriptionsService: SubscriptionsService,
    private readonly events: EventBus,
    private readonly usageControls: UsageControlsService,
  ) {
    this.apis = new InvalidatingCache((slug) => this.loadApi(slug), {
      max: 10_000,
      ttlMs: TTL_MS,
      refreshAheadMs: REFRESH_AHEAD_MS,
      serveStaleMs: SERVE_STALE_MS,
      refreshSpreadMs: REFRESH_SPREAD_MS,
      expiresAt: (entry) => entry.api.cacheUntil?.getTime(),
    });
    this.subscriptions = new InvalidatingCache((key) => this.loadSubscription(key), {
      max: 100_000,
      ttlMs: TTL_MS,
      refreshAheadMs: REFRESH_AHEAD_MS,
      serveStaleMs: SERVE_STALE_MS,
      refreshSpreadMs: REFRESH_SPREAD_MS,
      maxMissing: 20_000,
      expiresAt: (entry) => entry.periodEnd,
    });
  }

  onModuleInit(): void {
    this.events.onReconnect(() => this.clear());
    const subscriptions: [string, (message: string) => void][] = [
      [API_CHANGED_EVENT, (message) => this.apiChanged(message)],
      [ENDPOINTS_CHANGED_EVENT, (apiId) => this.apis.deleteWhere((entry) => entry.api.apiId === apiId)],
      [PLANS_CHANGED_EVENT, (planId) => this.subscriptions.deleteWhere((entry) => entry.planId === planId)],
      [SUBSCRIPTION_CHANGED_EVENT, (key) => this.subscriptions.delete(key)],
    ];
    this.listening = Promise.all(subscriptions.map(([name, listener]) => this.events.subscribe(name, listener)))
      .then((unsubscribers) => {
        this.unsubscribers = unsubscribers;
        if (this.destroyed) return this.onModuleDestroy();
        this.apis.startCaching();
        this.subscriptions.startCaching();
      })
      .catch((error: unknown) =>
        this.logger.error({ err: error }, 'could not subscribe to catalog/subscription changes; the gateway reads them uncached'),
      );
  }

  /** Resolves once change messages are received (and answers cached). */
  async whenListening(): Promise<void> {
    await this.listening;
  }

  onModuleDestroy(): void {
    this.destroyed = true;
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers = [];
    this.apis.stopCaching();
    this.subscriptions.stopCaching();
  }

  /** The live API published under this slug, or null. */
  api(slug: string): Promise<DirectoryApi | null> | DirectoryApi | null {
    return this.apis.get(slug);
  }

  /** The consumer's live subscription to the API (any live status: the caller checks it), or null. */
  subscription(consumerAccountId: string, apiId: string): Promise<DirectorySubscription | null> | DirectorySubscription | null {
    return this.subscriptions.get(`${consumerAccountId}:${apiId}`);
  }

  /** Subscribe-on-first-test: subscribes the consumer to the API's free plan, or null when it has none. */
  async subscribeOnFirstTest(consumerAccountId: string, apiId: string): Promise<DirectorySubscription | null> {
    const created = await this.subscriptionsService.subscribeToFreePlan(consumerAccountId, apiId);
    if (!created) return null;
    const key = `${consumerAccountId}:${apiId}`;
    this.subscriptions.delete(key);
    return this.subscriptions.get(key);
  }

  clear(): void {
    this.apis.clear();
    this.subscriptions.clear();
  }

  private apiChanged(message: string): void {
    let parsed: Partial<ApiChangedMessage>;
    try {
      parsed = JSON.parse(message) as Partial<ApiChangedMessage>;
    } catch {
      this.apis.clear();
      return;
    }
    if (typeof parsed.slug === 'string') this.apis.delete(parsed.slug);
    // the slug may have changed before publication: drop any entry for the API's id as well
    if (typeof parsed.apiId === 'string') this.apis.deleteWhere((entry) => entry.api.apiId === parsed.apiId);
  }

  private async loadApi(slug: string): Promise<DirectoryApi | null> {
    const api = await this.catalog.resolveForGateway(slug);
    if (!api) return null;
    const rows = await this.endpointsService.listCurrent(api.apiId);
    const endpoints = new Map<string, DirectoryEndpoint>();
    for (const row of rows)
      endpoints.set(row.id, { id: row.id, method: row.method, path: row.path, responses: row.responses });
    return {
      api,
      live: upstreamBase(api.liveUrl),
      sandbox: api.sandboxUrl ? upstreamBase(api.sandboxUrl) : null,
      matcher: new EndpointMatcher([...endpoints.values()]),
      endpoints,
    };
  }

  private async loadSubscription(key: string): Promise<DirectorySubscription | null> {
    const [consumerAccountId, apiId] = key.split(':');
    const live = await this.subscriptionsService.findLiveWithPlan(consumerAccountId, apiId);
    if (!live) return null;
    const { subscription: sub, plan } = live;
    const capReached = await this.usageControls.spendCapReachedIn(sub.id, sub.currentPeriodStart);
    return {
      subscriptionId: sub.id,
      consumerAccountId,
      apiId,
      status: sub.status,
      planId: plan.id,
      planName: plan.name,
      paid: plan.paid,
      rateLimits: plan.rateLimit,
      quotaLimit: plan.quotaLimit === null ? null : Number(plan.quotaLimit),
      quotaMode: plan.quotaMode,
      includedEndpoints: plan.includedEndpoints ? new Set(plan.includedEndpoints) : null,
      endpointWeights: plan.endpointWeights,
      endpointRateLimits: plan.endpointRateLimits,
      periodStart: sub.currentPeriodStart?.getTime() ?? null,
      periodEnd: sub.currentPeriodEnd?.getTime() ?? null,
      cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
      paymentGraceEndsAt: sub.paymentGraceEndsAt?.getTime() ?? null,
      spendCapReached: capReached && {
        amountMinor: capReached.amountMinor,
        currency: plan.currency,
        currencyMinorUnits: plan.currencyMinorUnits,
      },
    };
  }
}
