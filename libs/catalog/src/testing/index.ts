import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ApiListingEntity } from '../listings/api-listing.entity';
import { PlanEntity } from '../plans/plan.entity';
import { ProviderEntity } from '../providers/provider.entity';

/** Test factories for catalog rows (tests only: `@app/catalog/testing`). */
export async function insertProvider(dataSource: DataSource, ownerAccountId: string, overrides: Partial<ProviderEntity> = {}): Promise<ProviderEntity> {
  const repo = dataSource.getRepository(ProviderEntity);
  const slug = `provider-${randomUUID().slice(0, 8)}`;
  return repo.save(
    repo.create({
      ownerAccountId,
      displayName: `Provider ${slug}`,
      slug,
      supportEmail: `support@${slug}.example.com`,
      websiteUrl: null,
      payoutStatus: 'ready',
      chargesEnabled: true,
      payoutsEnabled: true,
      payoutRequirements: [],
      stripeAccountId: null,
      feeBpsOverride: null,
      ...overrides,
    }),
  );
}

export async function insertListing(dataSource: DataSource, providerId: string, overrides: Partial<ApiListingEntity> = {}): Promise<ApiListingEntity> {
  const repo = dataSource.getRepository(ApiListingEntity);
  const slug = `api-${randomUUID().slice(0, 8)}`;
  return repo.save(
    repo.create({
      providerId,
      slug,
      name: `API ${slug}`,
      summary: 'A test API',
      description: '',
      categorySlug: 'data',
      tags: [],
      logoUrl: null,
      websiteUrl: null,
      termsUrl: null,
      visibility: 'public',
      status: 'draft',
      publishedAt: null,
      sunsetAt: null,
      deprecationMessage: null,
      upstreamLiveUrl: 'https://api.example.com',
      upstreamSandboxUrl: null,
      upstreamTimeoutMs: 30_000,
      credentialLocation: null,
      credentialName: null,
      credentialCiphertext: null,
      credentialLastFour: null,
      currentVersionId: null,
      ...overrides,
    }),
  );
}
/** An active public plan (free, monthly, hard quota, no limits) of the listing, with overrides. */
export async function insertPlan(dataSource: DataSource, apiId: string, overrides: Partial<PlanEntity> = {}): Promise<PlanEntity> {
  const repo = dataSource.getRepository(PlanEntity);
  return repo.save(
    repo.create({
      apiId,
      familyId: randomUUID(),
      version: 1,
      name: 'Plan',
      description: '',
      priceAmountMinor: '0',
      currency: 'USD',
      quotaPeriod: 'month',
      quotaLimit: null,
      quotaMode: 'hard',
      overageUnitPriceMinor: null,
      rateLimit: {},
      includedEndpoints: null,
      endpointWeights: {},
      endpointRateLimits: {},
      visibility: 'public',
      approvalRequired: false,
      trialDays: 0,
      status: 'active',
      supersededByPlanId: null,
      sortOrder: 0,
      ...overrides,
    }),
  );
}

export * from './openapi-fixtures';
