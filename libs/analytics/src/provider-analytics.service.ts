import { EndpointsService, ListingsService, PlansService, ProvidersService } from '@app/catalog';
import { AppError, validationFailed } from '@app/common';
import { AccountsService, type PublicProfile } from '@app/identity';
import {
  UsageAnalyticsService,
  bucketRange,
  type BreakdownItem,
  type UsageMeasures,
  type UsageScope,
  type UsageSeriesQuery,
  type UsageSeriesResult,
} from '@app/metering';
import { SubscriptionsService } from '@app/subscriptions';
import { Injectable } from '@nestjs/common';

export interface NamedBreakdown extends UsageMeasures {
  id: string | null;
  /** API name, plan name, or `METHOD /path` of an endpoint of the current version; null when unknown. */
  name: string | null;
  /** Endpoints: the API the endpoint belongs to. */
  apiId?: string | null;
}

/**
 * A consumer as a provider sees it (decided, libs/analytics README): the subscription id and the
 * account's display name and email domain — never the email address, account id, applications
 * or keys.
 */
export interface ConsumerBreakdown extends UsageMeasures {
  subscriptionId: string;
  apiId: string | null;
  displayName: string | null;
  emailDomain: string | null;
}

export interface SubscriptionFlowBucket {
  start: Date;
  created: number;
  churned: number;
}

export interface ProviderOverview {
  from: Date;
  to: Date;
  totals: UsageMeasures;
  apis: NamedBreakdown[];
  endpoints: NamedBreakdown[];
  plans: NamedBreakdown[];
  topConsumers: ConsumerBreakdown[];
  subscriptions: { created: number; churned: number; buckets: SubscriptionFlowBucket[] };
}

export interface ProviderRange {
  from: Date;
  to: Date;
  /** One of the provider's APIs, or all of them. */
  apiId: string | null;
}

export const TOP_CONSUMERS = { default: 10, max: 1_000 } as const;

function apiNotFound(): AppError {
  return new AppError('not_found', 'API not found: no API with this id belongs to your provider account.');
}

/**
 * Analytics of the signed-in provider's APIs. The scope is the provider's own API ids, resolved from
 * the caller's account; an API id of another provider answers 404 exactly like an unknown id.
 */
@Injectable()
export class ProviderAnalyticsService {
  constructor(
    private readonly analytics: UsageAnalyticsService,
    private readonly providers: ProvidersService,
    private readonly listings: ListingsService,
    private readonly plans: PlansService,
    private readonly endpoints: EndpointsService,
    private readonly subscriptions: SubscriptionsService,
    private readonly accounts: AccountsService,
  ) {}

  async series(ownerAccountId: string, apiId: string | null, query: UsageSeriesQuery): Promise<UsageSeriesResult> {
    const { scope } = await this.scope(ownerAccountId, apiId);
    return this.analytics.series(scope, query);
  }

  /** Calls, error rate, latency and billable units per API, endpoint, plan and top consumer, plus new/churned subscriptions per day. */
  async overview(ownerAccountId: string, range: ProviderRange, topConsumers: number = TOP_CONSUMERS.default): Promise<ProviderOverview> {
    const { scope, providerId, names } = await this.scope(ownerAccountId, range.apiId);
    const days = bucketRange(range.from, range.to, 'day');
    const { from, to } = range;
    const [totals, apis, endpoints, plans, consumers, flow] = await Promise.all([
      this.analytics.breakdown(scope, from, to, [], {}, 1),
      this.analytics.breakdown(scope, from, to, ['api'], {}, 1_000),
      this.analytics.breakdown(scope, from, to, ['api', 'endpoint'], {}, 1_000),
      this.analytics.breakdown(scope, from, to, ['plan'], {}, 1_000),
      this.consumerRows(scope, from, to, topConsumers),
      this.subscriptions.subscriptionFlow(providerId, days.from, days.to, 'day', scope.kind === 'provider' ? scope.apiIds : null),
    ]);
    const endpointNames = await this.endpointNames([...names.keys()]);
    const planNames = await this.planNames(plans);
    const empty = { calls: 0, errors: 0, errorRate: 0, bytesIn: 0, bytesOut: 0, billableUnits: 0, overageUnits: 0, latencyMs: { p50: null, p95: null, p99: null } };
    const strip = ({ keys: _keys, ...measures }: BreakdownItem): UsageMeasures => measures;
    return {
      from,
      to,
      totals: totals[0] ? strip(totals[0]) : empty,
      apis: apis.map((row) => ({ id: row.keys.api as string | null, name: names.get(String(row.keys.api)) ?? null, ...strip(row) })),
      endpoints: endpoints.map((row) => ({
        id: row.keys.endpoint as string | null,
        name: row.keys.endpoint ? (endpointNames.get(String(row.keys.endpoint)) ?? null) : null,
        apiId: row.keys.api as string | null,
        ...strip(row),
      })),
      plans: plans.map((row) => ({ id: row.keys.plan as string | null, name: planNames.get(String(row.keys.plan)) ?? null, ...strip(row) })),
      topConsumers: consumers,
      subscriptions: {
        created: flow.reduce((n, b) => n + b.created, 0),
        churned: flow.reduce((n, b) => n + b.churned, 0),
        buckets: flow,
      },
    };
  }

  /** Usage per subscriber (most calls first), identity limited to ConsumerBreakdown's fields. */
  async consumers(ownerAccountId: string, range: ProviderRange, limit: number = TOP_CONSUMERS.max): Promise<ConsumerBreakdown[]> {
    if (!(range.from.getTime() < range.to.getTime())) throw validationFailed('from', 'must be before to (the range is [from, to))');
    const { scope } = await this.scope(ownerAccountId, range.apiId);
    return this.consumerRows(scope, range.from, range.to, limit);
  }

  private async consumerRows(scope: UsageScope, from: Date, to: Date, limit: number): Promise<ConsumerBreakdown[]> {
    const rows = (await this.analytics.breakdown(scope, from, to, ['subscription', 'consumer', 'api'], {}, limit + 1)).filter(
      (row) => row.keys.subscription !== null,
    );
    const profiles: Map<string, PublicProfile> = await this.accounts.publicProfiles(
      rows.map((row) => String(row.keys.consumer)),
    );
    return rows.slice(0, limit).map(({ keys, ...measures }) => {
      const profile = profiles.get(String(keys.consumer));
      return {
        subscriptionId: String(keys.subscription),
        apiId: (keys.api as string | null) ?? null,
        displayName: profile?.displayName ?? null,
        emailDomain: profile?.emailDomain ?? null,
        ...measures,
      };
    });
  }

  /** The caller's provider, its API ids (or the one asked, if it is theirs) and their names. */
  private async scope(
    ownerAccountId: string,
    apiId: string | null,
  ): Promise<{ scope: UsageScope & { kind: 'provider' }; providerId: string; names: Map<string, string> }> {
    const provider = await this.providers.getForOwner(ownerAccountId);
    const owned = await this.listings.list(ownerAccountId);
    const names = new Map(owned.map((l) => [l.id, l.name]));
    if (apiId !== null && !names.has(apiId)) throw apiNotFound();
    const apiIds = apiId === null ? [...names.keys()] : [apiId];
    return {
      scope: { kind: 'provider', apiIds },
      providerId: provider.id,
      names: apiId === null ? names : new Map([[apiId, names.get(apiId) as string]]),
    };
  }

  private async endpointNames(apiIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const apiId of apiIds) {
      for (const endpoint of await this.endpoints.listCurrent(apiId)) out.set(endpoint.id, `${endpoint.method} ${endpoint.path}`);
    }
    return out;
  }

  private async planNames(rows: BreakdownItem[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const row of rows) {
      const id = row.keys.plan;
      if (typeof id !== 'string') continue;
      const plan = await this.plans.findById(id);
      if (plan) out.set(id, `${plan.name} (v${plan.version})`);
    }
    return out;
  }
}
