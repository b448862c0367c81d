import {
  AppError,
  Clock,
  conflict,
  isUniqueViolation,
  newId,
  SecretBox,
  UpstreamUrlPolicy,
  validationFailed,
} from '@app/common';
import { Injectable, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CatalogEnv } from '../catalog.env';
import { CategoryRepository } from '../categories/category.repository';
import type { ProviderEntity } from '../providers/provider.entity';
import { ProvidersService } from '../providers/providers.service';
import type { ApiInvitationEntity } from './api-invitation.entity';
import { ApiInvitationRepository } from './api-invitation.repository';
import type {
  ApiListingEntity,
  CredentialLocation,
  ListingStatus,
  ListingVisibility,
} from './api-listing.entity';
import { ApiListingRepository, type ListingChanges } from './api-listing.repository';
import { nextStatus, ownerActions, type ListingAction } from './listing-lifecycle';
import { ListingEventsService } from './listing-events.service';
import {
  checkCredential,
  checkLinkUrl,
  checkListingSlug,
  checkText,
  checkTimeout,
  credentialAad,
  credentialLastFour,
  LISTING_LIMITS,
  LISTING_VISIBILITIES,
  normaliseEmail,
  normaliseTags,
  type CredentialInput,
  type RuleResult,
} from './listing.rules';
import { ProxySecretsService } from './proxy-secrets.service';

/** What a provider sends to create a listing. */
export interface ListingInput {
  name: string;
  slug: string;
  summary: string;
  /** Markdown. */
  description?: string;
  /** A category slug (GET /v1/categories). */
  category: string;
  tags?: string[];
  logoUrl?: string | null;
  websiteUrl?: string | null;
  termsUrl?: string | null;
  visibility?: ListingVisibility;
  upstreamLiveUrl: string;
  upstreamSandboxUrl?: string | null;
  upstreamTimeoutMs?: number;
  /** `null` or absent: none. */
  credential?: CredentialInput | null;
}

/** Only the fields sent change; `null` clears an optional one. The slug changes only while the listing was never published. */
export type ListingUpdate = Partial<ListingInput>;

export interface DeprecationInput {
  /** When the API stops answering; must be in the future. */
  sunsetAt: Date;
  message: string;
}

/** The credential as the owner sees it: never the value. */
export interface CredentialSummary {
  location: CredentialLocation;
  name: string;
  /** The value's last four characters, or null when it is shorter than 12 characters. */
  last4: string | null;
}

export interface ListingView {
  id: string;
  providerId: string;
  slug: string;
  name: string;
  summary: string;
  description: string;
  category: string;
  tags: string[];
  logoUrl: string | null;
  websiteUrl: string | null;
  termsUrl: string | null;
  visibility: ListingVisibility;
  status: ListingStatus;
  /** What the owner can do next (POST …/{action}). */
  allowedActions: ListingAction[];
  publishedAt: Date | null;
  sunsetAt: Date | null;
  deprecationMessage: string | null;
  upstreamLiveUrl: string;
  upstreamSandboxUrl: string | null;
  upstreamTimeoutMs: number;
  credential: CredentialSummary | null;
  currentVersionId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A listing in the admin's review queue. */
export interface ReviewView extends ListingView {
  provider: { id: string; slug: string; displayName: string };
}

/**
 * A step run inside the transaction that creates a listing (the plans code registers the creation
 * of the default free plan here, so listings and plans do not depend on each other's services).
 */
export type ListingCreationStep = (manager: EntityManager, listing: ApiListingEntity) => Promise<void>;

/**
 * A check run inside the publish transaction, with the listing row locked; it throws an AppError to
 * refuse (the plans code registers `assertPublishable`: an active plan, payouts ready for paid ones).
 */
export type ListingPublishCheck = (manager: EntityManager, listing: ApiListingEntity) => Promise<void>;

function apiNotFound(): AppError {
  return new AppError('not_found', 'API not found: no API with this id belongs to your provider account.');
}

function enforce(result: RuleResult): void {
  if (!result.ok) throw validationFailed(result.field, result.reason);
}

/**
 * API listings of providers: create, edit, the lifecycle (draft → published → deprecated → retired,
 * through pending_approval when CATALOG_REQUIRE_APPROVAL is set and the listing is public), the
 * upstream (SSRF-checked URLs, an encrypted credential) and invitations to private listings.
 * Owner methods take the signed-in account id and resolve its provider; every query is scoped to
 * that provider, so another provider's listing answers 404 like an unknown id.
 */
@Injectable()
export class ListingsService {
  private readonly creationSteps: ListingCreationStep[] = [];
  private readonly publishChecks: ListingPublishCheck[] = [];
  private readonly requireApproval: boolean;

  constructor(
    private readonly listings: ApiListingRepository,
    private readonly invitations: ApiInvitationRepository,
    private readonly categories: CategoryRepository,
    private readonly providers: ProvidersService,
    private readonly proxySecrets: ProxySecretsService,
    private readonly upstreams: UpstreamUrlPolicy,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly events: ListingEventsService,
    @Optional() env?: CatalogEnv,
  ) {
    this.requireApproval = env?.CATALOG_REQUIRE_APPROVAL ?? false;
  }

  /**
   * Registers a step of listing creation, run inside the creating transaction after the listing and
   * its proxy secret are inserted. PLANS HOOK: PlansService registers
   * `(manager, listing) => this.createDefaultFreePlan(manager, listing.id)` in its onModuleInit.
   */
  addCreationStep(step: ListingCreationStep): void {
    this.creationSteps.push(step);
  }

  /**
   * Registers a check of publishing (draft → published or pending_approval), run in the publish
   * transaction after the transition itself is allowed. PLANS HOOK: PlansService registers
   * `(manager, listing) => this.assertPublishable(listing.id, manager)` in its onModuleInit.
   */
  addPublishCheck(check: ListingPublishCheck): void {
    this.publishChecks.push(check);
  }

  async create(accountId: string, input: ListingInput): Promise<ListingView> {
    const provider = await this.providers.getForOwner(accountId);
    const id = newId();
    enforce(checkListingSlug(input.slug));
    const fields = await this.validate(input, id);
    try {
      const listing = await this.listings.transaction(async (manager) => {
        const created = await this.listings.insert(manager, {
          id,
          providerId: provider.id,
          slug: input.slug,
          name: fields.name ?? input.name,
          summary: fields.summary ?? input.summary,
          description: fields.description ?? '',
          categorySlug: input.category,
          tags: fields.tags ?? [],
          logoUrl: fields.logoUrl ?? null,
          websiteUrl: fields.websiteUrl ?? null,
          termsUrl: fields.termsUrl ?? null,
          visibility: input.visibility ?? 'public',
          status: 'draft',
          publishedAt: null,
          sunsetAt: null,
          deprecationMessage: null,
          upstreamLiveUrl: fields.upstreamLiveUrl ?? input.upstreamLiveUrl,
          upstreamSandboxUrl: fields.upstreamSandboxUrl ?? null,
          upstreamTimeoutMs: fields.upstreamTimeoutMs ?? LISTING_LIMITS.timeoutDefaultMs,
          credentialLocation: fields.credentialLocation ?? null,
          credentialName: fields.credentialName ?? null,
          credentialCiphertext: fields.credentialCiphertext ?? null,
          credentialLastFour: fields.credentialLastFour ?? null,
          currentVersionId: null,
        });
        await this.proxySecrets.issue(manager, created.id);
        for (const step of this.creationSteps) await step(manager, created);
        return created;
      });
      return this.view(listing);
    } catch (error) {
      throw this.slugTaken(error, input.slug);
    }
  }

  async list(accountId: string): Promise<ListingView[]> {
    const provider = await this.providers.getForOwner(accountId);
    return (await this.listings.listOwned(provider.id)).map((listing) => this.view(listing));
  }

  async get(accountId: string, apiId: string): Promise<ListingView> {
    return this.view(await this.requireOwned(accountId, apiId));
  }

  /**
   * The listing if the account's provider owns it, else 404 (unknown id and someone else's alike).
   * For other catalog code (plans, versions) that acts on a listing for its owner.
   */
  async requireOwned(accountId: string, apiId: string): Promise<ApiListingEntity> {
    const provider = await this.providers.getForOwner(accountId);
    const listing = await this.listings.findOwned(provider.id, apiId);
    if (!listing) throw apiNotFound();
    return listing;
  }

  /** System read (platform analytics): API id → provider id, for the ids that exist. */
  providerIdsOf(apiIds: readonly string[]): Promise<Map<string, string>> {
    return this.listings.providerIds(apiIds);
  }

  async update(accountId: string, apiId: string, input: ListingUpdate): Promise<ListingView> {
    const provider = await this.providers.getForOwner(accountId);
    if (input.slug !== undefined) enforce(checkListingSlug(input.slug));
    // validate (DNS included) before taking the row lock
    const fields = await this.validate(input, apiId);
    try {
      const updated = await this.listings.transaction(async (manager) => {
        const listing = await this.listings.lockOwned(manager, provider.id, apiId);
        if (!listing) throw apiNotFound();
        const changes = this.applyUpdateRules(listing, input, fields);
        await this.listings.updateOwned(manager, provider.id, apiId, changes);
        return (await this.listings.findOwned(provider.id, apiId, manager)) as ApiListingEntity;
      });
      await this.events.apiChanged({ apiId, slug: updated.slug });
      return this.view(updated);
    } catch (error) {
      throw input.slug === undefined ? error : this.slugTaken(error, input.slug);
    }
  }

  /** Deletes a listing that never went live; a listing that was published must be deprecated and retired instead. */
  async delete(accountId: string, apiId: string): Promise<void> {
    const provider = await this.providers.getForOwner(accountId);
    const slug = await this.listings.transaction(async (manager) => {
      const listing = await this.listings.lockOwned(manager, provider.id, apiId);
      if (!listing) throw apiNotFound();
      if (
        listing.publishedAt !== null ||
        (listing.status !== 'draft' && listing.status !== 'pending_approval')
      ) {
        throw conflict(
          `This API was published (status ${listing.status}): consumers may depend on it, so it cannot be deleted. Deprecate it with a sunset date (POST …/deprecate), then retire it (POST …/retire).`,
          { status: listing.status, allowedActions: ownerActions(listing.status) },
        );
      }
      await this.listings.deleteOwned(manager, provider.id, apiId);
      return listing.slug;
    });
    await this.events.apiChanged({ apiId, slug });
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  /** draft → published, or → pending_approval when approval is required for public listings. */
  publish(accountId: string, apiId: string): Promise<ListingView> {
    return this.transition(accountId, apiId, 'publish', async (listing, status, now, manager) => {
      for (const check of this.publishChecks) await check(manager, listing);
      return {
        status,
        publishedAt: status === 'published' ? (listing.publishedAt ?? now) : listing.publishedAt,
      };
    });
  }

  /** published → deprecated, with a sunset date in the future and a message for consumers. */
  async deprecate(accountId: string, apiId: string, input: DeprecationInput): Promise<ListingView> {
    if (
      !(input.sunsetAt instanceof Date) ||
      Number.isNaN(input.sunsetAt.getTime()) ||
      input.sunsetAt <= this.clock.now()
    ) {
      throw validationFailed('sunsetAt', 'must be a date and time in the future (ISO 8601)');
    }
    const message = input.message.trim();
    enforce(checkText('message', message, LISTING_LIMITS.deprecationMessageMax, true));
    return this.transition(accountId, apiId, 'deprecate', (_listing, status) => ({
      status,
      sunsetAt: input.sunsetAt,
      deprecationMessage: message,
    }));
  }

  /** deprecated → retired: the gateway stops serving it, the catalog stops showing it. Final. */
  retire(accountId: string, apiId: string): Promise<ListingView> {
    return this.transition(accountId, apiId, 'retire', (_listing, status) => ({ status }));
  }

  private async transition(
    accountId: string,
    apiId: string,
    action: ListingAction,
    changesFor: (
      listing: ApiListingEntity,
      status: ListingStatus,
      now: Date,
      manager: EntityManager,
    ) => ListingChanges | Promise<ListingChanges>,
  ): Promise<ListingView> {
    const provider = await this.providers.getForOwner(accountId);
    const updated = await this.listings.transaction(async (manager) => {
      const listing = await this.listings.lockOwned(manager, provider.id, apiId);
      if (!listing) throw apiNotFound();
      const status = nextStatus(listing, action, { requireApproval: this.requireApproval });
      await this.listings.updateOwned(
        manager,
        provider.id,
        apiId,
        await changesFor(listing, status, this.clock.now(), manager),
      );
      return (await this.listings.findOwned(provider.id, apiId, manager)) as ApiListingEntity;
    });
    await this.events.apiChanged({ apiId, slug: updated.slug });
    return this.view(updated);
  }

  // ---- admin review (the caller checked the admin role) -----------------------------------------

  async pendingApproval(): Promise<ReviewView[]> {
    const listings = await this.listings.listByStatus('pending_approval', 500);
    return listings.map((listing) => this.reviewView(listing));
  }

  /** pending_approval → published; the publish checks run again (payouts may have lapsed while it waited). */
  approve(apiId: string): Promise<ReviewView> {
    return this.review(apiId, 'approve', async (listing, status, now, manager) => {
      for (const check of this.publishChecks) await check(manager, listing);
      return { status, publishedAt: listing.publishedAt ?? now };
    });
  }

  /**
   * pending_approval → draft (never published), or back to published and private (a live listing
   * that asked to become public). The provider sees the status change; a review note is not stored yet.
   */
  reject(apiId: string): Promise<ReviewView> {
    return this.review(apiId, 'reject', (listing, status) =>
      listing.publishedAt ? { status, visibility: 'private' } : { status },
    );
  }

  private async review(
    apiId: string,
    action: 'approve' | 'reject',
    changesFor: (
      listing: ApiListingEntity,
      status: ListingStatus,
      now: Date,
      manager: EntityManager,
    ) => ListingChanges | Promise<ListingChanges>,
  ): Promise<ReviewView> {
    const updated = await this.listings.transaction(async (manager) => {
      const listing = await this.listings.lockById(manager, apiId);
      if (!listing) throw new AppError('not_found', 'API not found: no API has this id.');
      const status = nextStatus(listing, action, { requireApproval: this.requireApproval });
      await this.listings.updateById(manager, apiId, await changesFor(listing, status, this.clock.now(), manager));
      return listing.slug;
    });
    await this.events.apiChanged({ apiId, slug: updated });
    const listing = await this.listings.findBySlug(updated);
    if (!listing) throw new AppError('not_found', 'API not found: no API has this id.');
    return this.reviewView(listing);
  }

  // ---- invitations ------------------------------------------------------------------------------

  async listInvitations(accountId: string, apiId: string): Promise<ApiInvitationEntity[]> {
    const provider = await this.providers.getForOwner(accountId);
    if (!(await this.listings.findOwned(provider.id, apiId))) throw apiNotFound();
    return this.invitations.listOwned(provider.id, apiId);
  }

  /** Invites an account (by email, whether or not it exists yet) to see a private listing. */
  async invite(accountId: string, apiId: string, email: string): Promise<ApiInvitationEntity> {
    const normalised = normaliseEmail(email);
    if (!normalised.ok) throw validationFailed(normalised.field, normalised.reason);
    const provider = await this.providers.getForOwner(accountId);
    if (!(await this.listings.findOwned(provider.id, apiId))) throw apiNotFound();
    if ((await this.invitations.countOwned(provider.id, apiId)) >= LISTING_LIMITS.invitationsMax) {
      throw conflict(
        `This API already has ${LISTING_LIMITS.invitationsMax} invitations, the most it can have. Remove some first.`,
      );
    }
    const { result, invitation } = await this.invitations.insertOwned(provider.id, apiId, normalised.email);
    if (result === 'not_owned') throw apiNotFound();
    if (result === 'duplicate' || !invitation)
      throw conflict(`${normalised.email} is already invited to this API.`, { field: 'email' });
    return invitation;
  }

  async uninvite(accountId: string, apiId: string, email: string): Promise<void> {
    const normalised = normaliseEmail(email);
    if (!normalised.ok) throw validationFailed(normalised.field, normalised.reason);
    const provider = await this.providers.getForOwner(accountId);
    if (!(await this.listings.findOwned(provider.id, apiId))) throw apiNotFound();
    if (!(await this.invitations.deleteOwned(provider.id, apiId, normalised.email))) {
      throw new AppError(
        'not_found',
        `Invitation not found: ${normalised.email} is not invited to this API.`,
      );
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** Checks every field present in `input` and returns the normalised column values (credential sealed for `apiId`). */
  private async validate(input: ListingUpdate, apiId: string): Promise<ListingChanges> {
    const changes: ListingChanges = {};
    if (input.name !== undefined) {
      changes.name = input.name.trim();
      enforce(checkText('name', changes.name, LISTING_LIMITS.nameMax, true));
    }
    if (input.summary !== undefined) {
      changes.summary = input.summary.trim();
      enforce(checkText('summary', changes.summary, LISTING_LIMITS.summaryMax, true));
    }
    if (input.description !== undefined) {
      enforce(checkText('description', input.description, LISTING_LIMITS.descriptionMax, false));
      changes.description = input.description;
    }
    if (input.tags !== undefined) {
      const tags = normaliseTags(input.tags);
      if (!tags.ok) throw validationFailed(tags.field, tags.reason);
      changes.tags = tags.tags;
    }
    for (const field of ['logoUrl', 'websiteUrl', 'termsUrl'] as const) {
      const value = input[field];
      if (value === undefined) continue;
      if (value !== null) enforce(checkLinkUrl(field, value));
      changes[field] = value;
    }
    if (input.visibility !== undefined) {
      if (!LISTING_VISIBILITIES.includes(input.visibility))
        throw validationFailed('visibility', 'must be "public" or "private"');
      changes.visibility = input.visibility;
    }
    if (input.upstreamTimeoutMs !== undefined) {
      enforce(checkTimeout(input.upstreamTimeoutMs));
      changes.upstreamTimeoutMs = input.upstreamTimeoutMs;
    }
    if (input.credential !== undefined) Object.assign(changes, this.sealCredential(input.credential, apiId));
    if (input.category !== undefined) {
      if (!(await this.categories.exists(input.category))) {
        const slugs = (await this.categories.list()).map((category) => category.slug);
        throw validationFailed(
          'category',
          `must be one of the categories of GET /v1/categories: ${slugs.join(', ')}`,
        );
      }
      changes.categorySlug = input.category;
    }
    if (input.upstreamLiveUrl !== undefined)
      changes.upstreamLiveUrl = await this.upstreams.assert('upstreamLiveUrl', input.upstreamLiveUrl);
    if (input.upstreamSandboxUrl !== undefined) {
      changes.upstreamSandboxUrl =
        input.upstreamSandboxUrl === null
          ? null
          : await this.upstreams.assert('upstreamSandboxUrl', input.upstreamSandboxUrl);
    }
    return changes;
  }

  private sealCredential(credential: CredentialInput | null, apiId: string): ListingChanges {
    if (credential === null)
      return {
        credentialLocation: null,
        credentialName: null,
        credentialCiphertext: null,
        credentialLastFour: null,
      };
    enforce(checkCredential(credential));
    return {
      credentialLocation: credential.location,
      credentialName: credential.name,
      credentialCiphertext: this.box.seal(credential.value, credentialAad(apiId)),
      credentialLastFour: credentialLastFour(credential.value),
    };
  }

  /** The rules of an edit that depend on the listing's state. */
  private applyUpdateRules(
    listing: ApiListingEntity,
    input: ListingUpdate,
    fields: ListingChanges,
  ): ListingChanges {
    if (listing.status === 'retired') {
      throw conflict('This API is retired: a retired listing is final and cannot change.', {
        status: listing.status,
        allowedActions: [],
      });
    }
    const changes: ListingChanges = { ...fields };
    if (input.slug !== undefined && input.slug !== listing.slug) {
      if (listing.status !== 'draft' || listing.publishedAt !== null) {
        throw conflict(
          'The slug is permanent once the API has been published: consumers call it at {GATEWAY_URL}/{slug}.',
          { field: 'slug' },
        );
      }
      changes.slug = input.slug;
    }
    const visibility = changes.visibility;
    if (visibility !== undefined && visibility !== listing.visibility) {
      if (visibility === 'public' && this.requireApproval && listing.status === 'published') {
        // a live private listing becoming public goes through review without going offline
        changes.status = 'pending_approval';
      } else if (visibility === 'public' && this.requireApproval && listing.status === 'deprecated') {
        throw conflict(
          'A deprecated API cannot be made public while the operator requires approval for public listings.',
          { field: 'visibility' },
        );
      } else if (visibility === 'private' && listing.status === 'pending_approval') {
        // nothing left to approve: a private listing needs no review
        changes.status = listing.publishedAt ? 'published' : 'draft';
      }
    }
    return changes;
  }

  private slugTaken(error: unknown, slug: string): unknown {
    if (isUniqueViolation(error, 'uq_api_listings__slug')) {
      return conflict(`The slug "${slug}" is taken by another API: choose another one.`, { field: 'slug' });
    }
    return error;
  }

  view(listing: ApiListingEntity): ListingView {
    return {
      id: listing.id,
      providerId: listing.providerId,
      slug: listing.slug,
      name: listing.name,
      summary: listing.summary,
      description: listing.description,
      category: listing.categorySlug,
      tags: listing.tags,
      logoUrl: listing.logoUrl,
      websiteUrl: listing.websiteUrl,
      termsUrl: listing.termsUrl,
      visibility: listing.visibility,
      status: listing.status,
      allowedActions: ownerActions(listing.status),
      publishedAt: listing.publishedAt,
      sunsetAt: listing.sunsetAt,
      deprecationMessage: listing.deprecationMessage,
      upstreamLiveUrl: listing.upstreamLiveUrl,
      upstreamSandboxUrl: listing.upstreamSandboxUrl,
      upstreamTimeoutMs: listing.upstreamTimeoutMs,
      credential:
        listing.credentialLocation && listing.credentialName
          ? {
              location: listing.credentialLocation,
              name: listing.credentialName,
              last4: listing.credentialLastFour,
            }
          : null,
      currentVersionId: listing.currentVersionId,
      createdAt: listing.createdAt,
      updatedAt: listing.updatedAt,
    };
  }

  private reviewView(listing: ApiListingEntity): ReviewView {
    const provider = listing.provider as ProviderEntity;
    return {
      ...this.view(listing),
      provider: { id: provider.id, slug: provider.slug, displayName: provider.displayName },
    };
  }
}
