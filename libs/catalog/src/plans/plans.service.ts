import { randomUUID } from 'node:crypto';
import { AppError, conflict, EventBus } from '@app/common';
import { Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ListingStatus } from '../listings/api-listing.entity';
import { ListingsService } from '../listings/listings.service';
import type { PayoutStatus } from '../providers/provider.entity';
import { ProvidersService } from '../providers/providers.service';
import { EndpointsService } from '../versions/endpoints.service';
import { minorUnitDigits } from './currencies';
import type { PlanEntity, PlanStatus } from './plan.entity';
import { PlanRepository, type PlanInvitation, type PlanListing } from './plan.repository';
import {
  canonicalDecimal,
  changedFields,
  decideEdit,
  DEFAULT_FREE_PLAN,
  formatMinorAmount,
  isPaid,
  NEW_PLAN_BASE,
  normalizeEmail,
  PLAN_LIMITS,
  resolvePlanFields,
  TERM_FIELDS,
  unknownEndpointKeys,
  type FieldProblem,
  type PlanFields,
  type PlanInput,
} from './plan.rules';
import { PlanSubscribers } from './plan-subscribers.port';
import { PLANS_CHANGED_EVENT } from './plans-changed.event';

/** A plan as other code sees it: canonical values (decimals without trailing zeros, bigints as strings). */
export interface PlanView extends PlanFields {
  id: string;
  apiId: string;
  familyId: string;
  version: number;
  status: PlanStatus;
  supersededByPlanId: string | null;
  /** Monthly price or overage billing. */
  paid: boolean;
  /** Digits of the currency's minor unit (USD 2, JPY 0). */
  currencyMinorUnits: number;
  /** The monthly price in the currency's major unit, as a decimal string ("19.99", JPY "1000"). */
  priceDecimal: string;
  createdAt: Date;
  updatedAt: Date;
}

export type PlanChangeOutcome = 'unchanged' | 'edited' | 'versioned';

export interface PlanChange {
  outcome: PlanChangeOutcome;
  /** The plan as it is now: the same id when edited in place, the new version when versioned. */
  plan: PlanView;
  /** When versioned: the plan that was superseded (its subscribers keep it until they switch). */
  previousPlanId: string | null;
}

/** Where a provider finishes payout onboarding (the payouts_not_ready extension member). */
export const PAYOUT_ONBOARDING_URL = '/v1/provider/payouts/onboarding-link';

/** Listing states in which subscribers may exist or the listing is public: paid plans need payouts ready. */
const GATED_STATUSES: ReadonlySet<ListingStatus> = new Set(['pending_approval', 'published', 'deprecated']);
/** Listing states after which a plan is frozen (terms change by new version). */
const LIVE_STATUSES: ReadonlySet<ListingStatus> = new Set(['published', 'deprecated', 'retired']);

function apiNotFound(): AppError {
  return new AppError('not_found', 'API not found: no API with this id belongs to your provider account.');
}

function planNotFound(): AppError {
  return new AppError('not_found', 'Plan not found: this API has no plan with this id.');
}

function invalid(problems: FieldProblem[]): AppError {
  const summary = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return new AppError('validation_failed', `The plan is not valid: ${summary}.`, { errors: problems });
}

function isLive(listing: PlanListing): boolean {
  return listing.publishedAt !== null || LIVE_STATUSES.has(listing.status);
}

function fieldsOf(plan: PlanEntity): PlanFields {
  return {
    name: plan.name,
    description: plan.description,
    sortOrder: plan.sortOrder,
    visibility: plan.visibility,
    approvalRequired: plan.approvalRequired,
    trialDays: plan.trialDays,
    priceAmountMinor: BigInt(plan.priceAmountMinor).toString(),
    currency: plan.currency,
    quotaPeriod: plan.quotaPeriod,
    quotaLimit: plan.quotaLimit === null ? null : BigInt(plan.quotaLimit).toString(),
    quotaMode: plan.quotaMode,
    overageUnitPriceMinor:
      plan.overageUnitPriceMinor === null ? null : canonicalDecimal(plan.overageUnitPriceMinor),
    rateLimit: plan.rateLimit,
    includedEndpoints: plan.includedEndpoints,
    endpointWeights: plan.endpointWeights,
    endpointRateLimits: plan.endpointRateLimits,
  };
}

export function toPlanView(plan: PlanEntity): PlanView {
  const fields = fieldsOf(plan);
  return {
    ...fields,
    id: plan.id,
    apiId: plan.apiId,
    familyId: plan.familyId,
    version: plan.version,
    status: plan.status,
    supersededByPlanId: plan.supersededByPlanId,
    paid: isPaid(fields),
    currencyMinorUnits: minorUnitDigits(fields.currency) ?? 2,
    priceDecimal: formatMinorAmount(fields.priceAmountMinor, fields.currency),
    createdAt: plan.createdAt,
    updatedAt: plan.updatedAt,
  };
}

/**
 * Pricing plans of an API (README "Plans"). Owner methods take the caller's account id and answer
 * 404 for an API or plan of another provider exactly as for an unknown id. A plan whose listing has
 * been published, or which has subscribers, is never mutated in its terms: the change creates a
 * new version (same familyId, version + 1) and supersedes the old one. Paid plans become
 * subscribable on a published listing only once the provider's payouts are ready.
 */
@Injectable()
export class PlansService implements OnModuleInit {
  private readonly logger = new Logger(PlansService.name);

  constructor(
    private readonly plans: PlanRepository,
    private readonly providers: ProvidersService,
    private readonly endpoints: EndpointsService,
    private readonly subscribers: PlanSubscribers,
    private readonly events: EventBus,
    @Optional() private readonly listings?: ListingsService,
  ) {}

  /**
   * Hooks into the listings code: every new listing gets the default free plan inside its create
   * transaction, and publishing runs assertPublishable inside the publish transaction.
   */
  onModuleInit(): void {
    this.listings?.addCreationStep(async (manager, listing) => {
      await this.createDefaultFreePlan(manager, listing.id);
    });
    this.listings?.addPublishCheck((manager, listing) => this.assertPublishable(listing.id, manager));
  }

  // ---- system: the listing create transaction ------------------------------------------------

  /**
   * The free "Basic" plan every new API starts with (1,000 calls a month, hard quota, 5 requests a
   * second), inserted in the caller's transaction. Editable like any plan.
   */
  async createDefaultFreePlan(manager: EntityManager, apiId: string): Promise<PlanView> {
    const id = randomUUID();
    const plan = await this.plans.insert(manager, {
      ...DEFAULT_FREE_PLAN,
      rateLimit: { ...DEFAULT_FREE_PLAN.rateLimit },
      endpointWeights: {},
      endpointRateLimits: {},
      id,
      apiId,
      familyId: id,
      version: 1,
      status: 'active',
      supersededByPlanId: null,
    });
    return toPlanView(plan);
  }

  // ---- owner ----------------------------------------------------------------------------------

  /** The API's plans: active and archived, plus superseded versions when asked. */
  async list(
    ownerAccountId: string,
    apiId: string,
    options: { includeSuperseded?: boolean } = {},
  ): Promise<PlanView[]> {
    if (!(await this.plans.findOwnedListing(ownerAccountId, apiId))) throw apiNotFound();
    const statuses: PlanStatus[] = options.includeSuperseded
      ? ['active', 'archived', 'superseded']
      : ['active', 'archived'];
    return (await this.plans.listOwned(ownerAccountId, apiId, statuses)).map(toPlanView);
  }

  async get(ownerAccountId: string, apiId: string, planId: string): Promise<PlanView> {
    if (!(await this.plans.findOwnedListing(ownerAccountId, apiId))) throw apiNotFound();
    const plan = await this.plans.findOwned(ownerAccountId, apiId, planId);
    if (!plan) throw planNotFound();
    return toPlanView(plan);
  }

  async create(ownerAccountId: string, apiId: string, input: PlanInput): Promise<PlanView> {
    const resolved = resolvePlanFields(NEW_PLAN_BASE, input);
    const plan = await this.plans.transaction(async (manager) => {
      const listing = await this.plans.findOwnedListing(ownerAccountId, apiId, manager, true);
      if (!listing) throw apiNotFound();
      if (listing.status === 'retired') throw conflict('This API is retired: it takes no new plans.');
      if (!resolved.ok) throw invalid(resolved.problems);
      await this.checkEndpoints(apiId, input);
      const fields = resolved.fields;
      const active = await this.plans.listActive(apiId, manager);
      if (active.length >= PLAN_LIMITS.activePlansPerApi)
        throw conflict(
          `An API has at most ${PLAN_LIMITS.activePlansPerApi} active plans: archive one first.`,
        );
      this.checkNameFree(active, fields.name, null);
      if (isPaid(fields) && GATED_STATUSES.has(listing.status))
        await this.assertPayoutsReady(listing.providerId, [fields.name]);
      const id = randomUUID();
      return this.plans.insert(manager, {
        ...fields,
        id,
        apiId,
        familyId: id,
        version: 1,
        status: 'active',
        supersededByPlanId: null,
      });
    });
    // no cache holds a new plan, but the listing's pricing (free / paid / freemium) may change: search re-reads it
    this.broadcast(plan.id);
    return toPlanView(plan);
  }

  /**
   * Applies a change. Terms (price, currency, quota, mode, overage price, rate limits, endpoints,
   * weights) of a frozen plan — its listing has been published, or it has subscribers — change by
   * a new version; everything else edits in place.
   */
  async update(ownerAccountId: string, apiId: string, planId: string, input: PlanInput): Promise<PlanChange> {
    const change = await this.plans.transaction(async (manager): Promise<PlanChange> => {
      const listing = await this.plans.findOwnedListing(ownerAccountId, apiId, manager, true);
      if (!listing) throw apiNotFound();
      const plan = await this.plans.findOwned(ownerAccountId, apiId, planId, manager, true);
      if (!plan) throw planNotFound();
      this.assertActive(plan, 'changed');
      const before = fieldsOf(plan);
      const resolved = resolvePlanFields(before, input);
      if (!resolved.ok) throw invalid(resolved.problems);
      await this.checkEndpoints(apiId, input);
      const after = resolved.fields;
      const changed = changedFields(before, after);
      if (changed.includes('name'))
        this.checkNameFree(await this.plans.listActive(apiId, manager), after.name, plan.familyId);
      const termsChanged = changed.some((field) => (TERM_FIELDS as readonly string[]).includes(field));
      const hasSubscribers = termsChanged ? await this.subscribers.has(plan.id, manager) : false;
      const decision = decideEdit(changed, { listingLive: isLive(listing), hasSubscribers });
      if (decision === 'unchanged')
        return { outcome: 'unchanged', plan: toPlanView(plan), previousPlanId: null };
      if (listing.status === 'retired' && decision === 'new_version')
        throw conflict('This API is retired: its plans take no new versions.');
      if (termsChanged && isPaid(after) && GATED_STATUSES.has(listing.status))
        await this.assertPayoutsReady(listing.providerId, [after.name]);

      if (decision === 'in_place') {
        const changes: Partial<PlanFields> = {};
        for (const field of changed) Object.assign(changes, { [field]: after[field] });
        await this.plans.update(manager, plan.id, changes);
        return {
          outcome: 'edited',
          plan: toPlanView(await this.plans.reload(manager, plan.id)),
          previousPlanId: null,
        };
      }
      const id = randomUUID();
      const next = await this.plans.insert(manager, {
        ...after,
        id,
        apiId,
        familyId: plan.familyId,
        version: plan.version + 1,
        status: 'active',
        supersededByPlanId: null,
      });
      await this.plans.update(manager, plan.id, { status: 'superseded', supersededByPlanId: next.id });
      await this.plans.copyInvitations(manager, plan.id, next.id);
      return { outcome: 'versioned', plan: toPlanView(next), previousPlanId: plan.id };
    });
    if (change.outcome !== 'unchanged') this.broadcast(planId);
    return change;
  }

  /** Closes a plan to new subscribers (existing ones keep it). Archiving an archived plan is a no-op. */
  async archive(ownerAccountId: string, apiId: string, planId: string): Promise<PlanView> {
    const { plan, changed } = await this.plans.transaction(async (manager) => {
      if (!(await this.plans.findOwnedListing(ownerAccountId, apiId, manager, true))) throw apiNotFound();
      const found = await this.plans.findOwned(ownerAccountId, apiId, planId, manager, true);
      if (!found) throw planNotFound();
      if (found.status === 'archived') return { plan: found, changed: false };
      this.assertActive(found, 'archived');
      await this.plans.update(manager, found.id, { status: 'archived' });
      return { plan: await this.plans.reload(manager, found.id), changed: true };
    });
    if (changed) this.broadcast(planId);
    return toPlanView(plan);
  }

  /** Invites accounts (by email) to a private plan; inviting an invited email again is a no-op. */
  async invite(
    ownerAccountId: string,
    apiId: string,
    planId: string,
    emails: readonly string[],
  ): Promise<PlanInvitation[]> {
    const normalized: string[] = [];
    const problems: FieldProblem[] = [];
    emails.forEach((raw, index) => {
      const parsed =
        typeof raw === 'string'
          ? normalizeEmail(raw)
          : ({ ok: false, message: 'must be an email address' } as const);
      if (parsed.ok) normalized.push(parsed.value);
      else problems.push({ field: `emails.${index}`, message: parsed.message });
    });
    const distinct = [...new Set(normalized)];
    await this.plans.transaction(async (manager) => {
      if (!(await this.plans.findOwnedListing(ownerAccountId, apiId, manager))) throw apiNotFound();
      const plan = await this.plans.findOwned(ownerAccountId, apiId, planId, manager, true);
      if (!plan) throw planNotFound();
      if (problems.length > 0) throw invalid(problems);
      if (distinct.length === 0)
        throw invalid([{ field: 'emails', message: 'must list at least one email address' }]);
      this.assertActive(plan, 'given invitations');
      if (plan.visibility !== 'private')
        throw conflict(
          'Invitations are for private plans: this plan is public. PATCH it with visibility "private" first.',
        );
      const existing = await this.plans.countInvitations(manager, plan.id);
      if (existing + distinct.length > PLAN_LIMITS.invitationsPerPlan)
        throw conflict(
          `A plan has at most ${PLAN_LIMITS.invitationsPerPlan} invitations (it has ${existing}): remove some first.`,
        );
      await this.plans.addInvitations(manager, apiId, plan.id, distinct);
    });
    return this.plans.listInvitations(ownerAccountId, apiId, planId);
  }

  async listInvitations(ownerAccountId: string, apiId: string, planId: string): Promise<PlanInvitation[]> {
    await this.get(ownerAccountId, apiId, planId);
    return this.plans.listInvitations(ownerAccountId, apiId, planId);
  }

  async removeInvitation(
    ownerAccountId: string,
    apiId: string,
    planId: string,
    invitationId: string,
  ): Promise<void> {
    await this.get(ownerAccountId, apiId, planId);
    if (!(await this.plans.deleteInvitation(ownerAccountId, apiId, planId, invitationId)))
      throw new AppError('not_found', 'Invitation not found: this plan has no invitation with this id.');
  }

  // ---- system: publishing and public reads ----------------------------------------------------

  /**
   * Refuses to publish a listing that has no active plan, or whose active plans include a paid
   * one while the provider's payouts are not ready (payouts_not_ready, with the onboarding link).
   * The listings code calls it in its publish transaction (pass its manager).
   */
  async assertPublishable(apiId: string, manager?: EntityManager): Promise<void> {
    const listing = await this.plans.findListing(apiId, manager);
    if (!listing) throw new AppError('not_found', 'API not found.');
    const active = await this.plans.listActive(apiId, manager);
    if (active.length === 0)
      throw conflict(
        'This API has no active plan, so nobody could subscribe: create a plan (POST …/plans) before publishing.',
      );
    const paid = active.filter((plan) => isPaid(fieldsOf(plan)));
    if (paid.length > 0)
      await this.assertPayoutsReady(
        listing.providerId,
        paid.map((plan) => plan.name),
      );
  }

  /** Active public plans of an API (the public listing page; also what anonymous visitors see). */
  async listPublic(apiId: string): Promise<PlanView[]> {
    return (await this.plans.listVisible(apiId, null)).map(toPlanView);
  }

  /** Active plans a signed-in account may see: the public ones plus private ones its email is invited to. */
  async listVisibleTo(apiId: string, accountEmail: string | null): Promise<PlanView[]> {
    return (
      await this.plans.listVisible(apiId, accountEmail === null ? null : accountEmail.trim().toLowerCase())
    ).map(toPlanView);
  }

  /**
   * The plan if an account with this email may subscribe to it: active, and public or invited.
   * (Whether the listing itself is subscribable is the caller's check.)
   */
  async findSubscribable(planId: string, accountEmail: string | null): Promise<PlanView | null> {
    const plan = await this.plans.findVisible(
      planId,
      accountEmail === null ? null : accountEmail.trim().toLowerCase(),
    );
    return plan ? toPlanView(plan) : null;
  }

  /** Any plan by id, whatever its status (subscriptions and the gateway read the plan they hold). */
  async findById(planId: string): Promise<PlanView | null> {
    const plan = await this.plans.findById(planId);
    return plan ? toPlanView(plan) : null;
  }

  // ---- internals ------------------------------------------------------------------------------

  private async assertPayoutsReady(providerId: string, planNames: string[]): Promise<void> {
    const status: PayoutStatus = await this.providers.getPayoutStatus(providerId);
    if (status === 'ready') return;
    throw new AppError(
      'payouts_not_ready',
      `Paid plans (${planNames.map((n) => `"${n}"`).join(', ')}) cannot be offered on a published API until your payouts are set up: ` +
        `payout status is "${status}". Finish payout onboarding (POST ${PAYOUT_ONBOARDING_URL}), then try again; free plans work meanwhile, and a draft API may hold paid plans.`,
      { onboardingUrl: PAYOUT_ONBOARDING_URL, payoutStatus: status },
    );
  }

  private assertActive(plan: PlanEntity, action: string): void {
    if (plan.status === 'superseded')
      throw conflict(
        `This plan version was superseded and cannot be ${action}: use its newer version (supersededByPlanId).`,
        {
          supersededByPlanId: plan.supersededByPlanId,
        },
      );
    if (plan.status === 'archived')
      throw conflict(`This plan is archived and cannot be ${action}: create a new plan instead.`);
  }

  private checkNameFree(active: PlanEntity[], name: string, ownFamilyId: string | null): void {
    const lower = name.toLowerCase();
    if (active.some((other) => other.familyId !== ownFamilyId && other.name.toLowerCase() === lower))
      throw conflict(`This API already has an active plan named "${name}": plan names are unique per API.`, {
        field: 'name',
      });
  }

  /** 400 naming the endpoint keys the API's current version does not have (skipped while no version is current). */
  private async checkEndpoints(apiId: string, input: PlanInput): Promise<void> {
    const mentions =
      input.includedEndpoints != null ||
      input.endpointWeights !== undefined ||
      input.endpointRateLimits !== undefined;
    if (!mentions) return;
    const current = await this.endpoints.listCurrent(apiId);
    if (current.length === 0) return;
    const problems = unknownEndpointKeys(input, new Set(current.map((e) => `${e.method} ${e.path}`)));
    if (problems.length > 0) throw invalid(problems);
  }

  private broadcast(planId: string): void {
    this.events.publish(PLANS_CHANGED_EVENT, planId).catch((error: unknown) => {
      this.logger.warn({ err: error, planId }, 'could not broadcast plans-changed; caches expire by TTL');
    });
  }
}
