import { BillingEnv, BillingModule, ProviderOnboardingService } from '@app/billing';
import {
  ApiVersionsService,
  CatalogEnv,
  CatalogModule,
  ListingsService,
  PlansService,
  ProvidersService,
  type ListingInput,
  type ListingView,
  type PlanInput,
} from '@app/catalog';
import {
  CoreModule,
  EncryptionEnv,
  UpstreamPolicyEnv,
  UpstreamPolicyModule,
  UpstreamUrlPolicy,
} from '@app/common';
import { AccountSeedService, IdentityEnv, IdentityModule, type AccountSeedResult } from '@app/identity';
import { type DynamicModule, Injectable, Module } from '@nestjs/common';
import { ApiHttpEnv } from '../../api/src/api.env';
import { fxApi, textApi, weatherApi, type DemoApi } from '../../demo-upstream/src/apis';
import { DemoUpstreamEnv } from '../../demo-upstream/src/demo-upstream.env';
import { DemoAccountsEnv, DemoSeedEnv } from './demo.env';

export const DEMO_PROVIDER_EMAIL = 'demo-provider@portico.local';
export const DEMO_CONSUMER_EMAIL = 'demo@portico.local';
export const DEMO_PROVIDER_SLUG = 'portico-demo';

interface DemoListing {
  api: DemoApi;
  listing: Omit<ListingInput, 'upstreamLiveUrl'>;
}

export const DEMO_LISTINGS: readonly DemoListing[] = [
  {
    api: weatherApi,
    listing: {
      slug: 'weather-now',
      name: 'Weather Now',
      summary: 'Current conditions and a 7-day forecast for any city, in one call.',
      description:
        '# Weather Now\n\nCurrent temperature, humidity, wind and conditions, and a daily forecast for up to 7 days.\n\n' +
        "*A demo API served by Portico's demo upstream: values are deterministic per city, not real weather.*",
      category: 'weather',
      tags: ['weather', 'forecast', 'demo'],
    },
  },
  {
    api: fxApi,
    listing: {
      slug: 'currency-rates',
      name: 'Currency Rates',
      summary: 'Exchange rates and conversions for ten major currencies.',
      description:
        '# Currency Rates\n\nLatest rates against any base currency and amount conversion.\n\n' +
        "*A demo API served by Portico's demo upstream: rates are fixed demo values, not market data.*",
      category: 'finance',
      tags: ['currency', 'exchange-rates', 'demo'],
    },
  },
  {
    api: textApi,
    listing: {
      slug: 'text-tools',
      name: 'Text Tools',
      summary: 'URL slugs and text statistics: JSON in, JSON out.',
      description:
        "# Text Tools\n\nTurn any text into a URL slug, or count its characters, words and sentences.\n\n*A demo API served by Portico's demo upstream.*",
      category: 'developer-tools',
      tags: ['text', 'slug', 'demo'],
    },
  },
];

/** The paid plans added next to the default free "Basic" plan (created with every listing). */
export const DEMO_PAID_PLANS: readonly PlanInput[] = [
  {
    name: 'Pro',
    description: '100,000 calls a month, then USD 0.10 per 1,000 calls.',
    sortOrder: 10,
    priceAmountMinor: 999,
    currency: 'USD',
    quotaPeriod: 'month',
    quotaLimit: 100_000,
    quotaMode: 'soft',
    overageUnitPriceMinor: '0.01',
    rateLimit: { perSecond: 20, burst: 20 },
  },
  {
    name: 'Ultra',
    description: '1,000,000 calls a month (hard limit), 100 requests a second.',
    sortOrder: 20,
    priceAmountMinor: 4999,
    currency: 'USD',
    quotaPeriod: 'month',
    quotaLimit: 1_000_000,
    quotaMode: 'hard',
    rateLimit: { perSecond: 100, burst: 50 },
  },
];

export interface DemoListingOutcome {
  slug: string;
  name: string;
  apiId: string;
  status: string;
  upstreamUrl: string;
  /** What this run did: created, updated upstream, imported version, plans added, published. */
  changes: string[];
}

export type DemoSeedResult =
  | { skipped: true; reason: string }
  | {
      skipped: false;
      provider: AccountSeedResult;
      consumer: AccountSeedResult;
      listings: DemoListingOutcome[];
      notes: string[];
      apiUrl: string;
      gatewayUrl: string;
    };

/**
 * `portico seed-demo`: the demo marketplace (DESIGN §1, §9). A demo provider with the demo
 * upstream's APIs as published listings (OpenAPI imported and published, Basic + Pro + Ultra
 * plans) and a demo consumer with its default app and test key. Idempotent: each step checks
 * what exists first, so a second run changes nothing. Composes the libs' public services only.
 */
@Injectable()
export class DemoSeedService {
  constructor(
    private readonly env: DemoSeedEnv,
    private readonly accounts: AccountSeedService,
    private readonly onboarding: ProviderOnboardingService,
    private readonly providers: ProvidersService,
    private readonly listings: ListingsService,
    private readonly versions: ApiVersionsService,
    private readonly plans: PlansService,
    private readonly upstreams: UpstreamUrlPolicy,
  ) {}

  upstreamBase(): string {
    return `http://127.0.0.1:${this.env.DEMO_UPSTREAM_PORT}`;
  }

  async seed(): Promise<DemoSeedResult> {
    if (!this.upstreams.allowPrivate) {
      return {
        skipped: true,
        reason:
          `the demo APIs run on loopback (${this.upstreamBase()}), and GATEWAY_ALLOW_PRIVATE_UPSTREAMS is false, so ` +
          'Portico refuses them as upstreams. Set GATEWAY_ALLOW_PRIVATE_UPSTREAMS=true (development and the local ' +
          'embedded default only; keep it false on a public install) and run seed-demo again.',
      };
    }
    const notes: string[] = [];
    const provider = await this.accounts.ensure({
      email: DEMO_PROVIDER_EMAIL,
      password: this.env.DEMO_PROVIDER_PASSWORD,
      displayName: 'Portico Demo',
    });
    const ownerId = provider.account.id;
    const profile =
      (await this.providers.findForOwner(ownerId)) ??
      (await this.onboarding.becomeProvider(ownerId, {
        displayName: 'Portico Demo APIs',
        slug: DEMO_PROVIDER_SLUG,
        supportEmail: DEMO_PROVIDER_EMAIL,
      }));
    const payoutsReady = (await this.providers.getPayoutStatus(profile.id)) === 'ready';
    if (!payoutsReady) {
      notes.push(
        "The demo provider's payouts are not ready (PAYMENTS=stripe needs Connect onboarding), so only the free Basic plans were added; " +
          `log in as ${DEMO_PROVIDER_EMAIL}, finish onboarding and run seed-demo again to add Pro and Ultra.`,
      );
    }
    const existing = await this.listings.list(ownerId);
    const outcomes: DemoListingOutcome[] = [];
    for (const demo of DEMO_LISTINGS) {
      outcomes.push(await this.seedListing(ownerId, demo, existing, payoutsReady));
    }
    const consumer = await this.accounts.ensure({
      email: DEMO_CONSUMER_EMAIL,
      password: this.env.DEMO_CONSUMER_PASSWORD,
      displayName: 'Demo Consumer',
    });
    return {
      skipped: false,
      provider,
      consumer,
      listings: outcomes,
      notes,
      apiUrl: this.env.PUBLIC_URL,
      gatewayUrl: this.env.GATEWAY_URL,
    };
  }

  private async seedListing(
    ownerId: string,
    demo: DemoListing,
    existing: ListingView[],
    payoutsReady: boolean,
  ): Promise<DemoListingOutcome> {
    const changes: string[] = [];
    const upstreamUrl = `${this.upstreamBase()}/${demo.api.base}`;
    let listing = existing.find((candidate) => candidate.slug === demo.listing.slug);
    if (!listing) {
      listing = await this.listings.create(ownerId, { ...demo.listing, upstreamLiveUrl: upstreamUrl });
      changes.push('created');
    } else if (listing.upstreamLiveUrl !== upstreamUrl && listing.status !== 'retired') {
      listing = await this.listings.update(ownerId, listing.id, { upstreamLiveUrl: upstreamUrl });
      changes.push(`upstream set to ${upstreamUrl}`);
    }
    const apiId = listing.id;

    // the OpenAPI document: imported and published once per document version (info.version)
    const label = (demo.api.document.info as { version: string }).version;
    const versions = await this.versions.list(ownerId, apiId);
    if (!versions.some((version) => version.status === 'current' && version.label === label)) {
      const draft =
        versions.find((version) => version.status === 'draft' && version.label === label) ??
        (await this.versions.importDocument(ownerId, apiId, { kind: 'object', value: demo.api.document }))
          .version;
      await this.versions.publish(ownerId, apiId, draft.id);
      changes.push(`OpenAPI ${label} published`);
    }

    // plans: Basic comes with the listing; Pro and Ultra when payouts allow paid plans
    if (payoutsReady) {
      const names = new Set(
        (await this.plans.list(ownerId, apiId))
          .filter((p) => p.status === 'active')
          .map((p) => p.name.toLowerCase()),
      );
      for (const plan of DEMO_PAID_PLANS) {
        if (names.has(plan.name!.toLowerCase())) continue;
        await this.plans.create(ownerId, apiId, plan);
        changes.push(`plan ${plan.name} added`);
      }
    }

    if (listing.status === 'draft') {
      listing = await this.listings.publish(ownerId, apiId);
      changes.push(listing.status === 'published' ? 'published' : `submitted (${listing.status})`);
    }
    return { slug: listing.slug, name: listing.name, apiId, status: listing.status, upstreamUrl, changes };
  }
}

/** The cli's context for seed-demo: the migrate/seed-admin libs plus the catalog's env (SSRF switch, encryption key). */
@Module({})
export class DemoSeedModule {
  static forRoot(rawEnv?: Record<string, unknown>): DynamicModule {
    return {
      module: DemoSeedModule,
      imports: [
        CoreModule.forRoot({
          app: 'cli',
          env: DemoSeedEnv,
          envFragments: [
            IdentityEnv,
            BillingEnv,
            CatalogEnv,
            UpstreamPolicyEnv,
            EncryptionEnv,
            ApiHttpEnv,
            DemoUpstreamEnv,
            DemoAccountsEnv,
          ],
          migrations: [],
          poolSize: 2,
          rawEnv,
        }),
        IdentityModule,
        CatalogModule,
        BillingModule,
        UpstreamPolicyModule,
      ],
      providers: [DemoSeedService],
    };
  }
}
