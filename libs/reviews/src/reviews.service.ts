import {
  type ApiListingEntity,
  ListingRatings,
  PublicCatalogService,
  type ListingRating,
} from '@app/catalog';
import {
  AppError,
  Clock,
  conflict,
  EventBus,
  forbidden,
  isUniqueViolation,
  validationFailed,
} from '@app/common';
import { AccountsService } from '@app/identity';
import { SubscriptionsService } from '@app/subscriptions';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { ReviewReplyEntity } from './review-reply.entity';
import type { ReviewReportEntity } from './review-report.entity';
import { ReviewRepository, type ReviewChanges } from './review.repository';
import {
  plainText,
  ratingOf,
  REVIEW_LIMITS,
  type ReportReason,
  type ReportResolution,
  type ReportedStatus,
  type ReviewSort,
  type StarCounts,
} from './review.rules';
import type { ReviewEntity } from './review.entity';
import { REVIEWS_CHANGED_EVENT, type ReviewsChangedMessage } from './reviews-changed.event';

/** The signed-in caller (the email decides which private listings it may see). */
export interface Reviewer {
  accountId: string;
  email: string;
}

/** A listing's rating aggregate: average (two decimals, null without reviews), count, distribution 1–5. */
export type ReviewAggregate = ListingRating;

export interface ReviewReplyView {
  body: string;
  /** The API's provider (its display name), who wrote the reply. */
  providerDisplayName: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface ReviewView {
  id: string;
  apiId: string;
  rating: number;
  title: string;
  body: string;
  author: { displayName: string };
  helpfulCount: number;
  reply: ReviewReplyView | null;
  /** The caller wrote it. */
  mine: boolean;
  /** The caller marked it helpful. */
  markedHelpful: boolean;
  createdAt: Date;
  updatedAt: Date;
  editedAt: Date | null;
}

export interface ReviewPage {
  items: ReviewView[];
  page: number;
  perPage: number;
  total: number;
  /** The API's aggregate (over all its visible reviews, whatever the filter). */
  aggregate: ReviewAggregate;
}

export interface ReviewListOptions {
  sort: ReviewSort;
  rating?: number;
  page: number;
  perPage: number;
}

export interface ReviewInput {
  rating: number;
  title: string;
  body: string;
}

export type ReviewPatch = Partial<ReviewInput>;

export interface HelpfulState {
  reviewId: string;
  helpfulCount: number;
  markedHelpful: boolean;
}

export interface ReviewReportView {
  id: string;
  reviewId: string;
  reason: ReportReason;
  details: string | null;
  createdAt: Date;
}

export interface ModerationReportView extends ReviewReportView {
  resolvedAt: Date | null;
  resolution: ReportResolution | null;
}

export interface ReportedReviewView {
  id: string;
  api: { id: string; slug: string; name: string };
  rating: number;
  title: string;
  body: string;
  author: { accountId: string; displayName: string };
  helpfulCount: number;
  hiddenAt: Date | null;
  openReportCount: number;
  /** Its reports, newest first (at most REVIEW_LIMITS.reportsShown). */
  reports: ModerationReportView[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ReportedReviewPage {
  items: ReportedReviewView[];
  page: number;
  perPage: number;
  total: number;
}

/** The eligibility rule (README "Eligibility"), as the 403 says it. */
export const NOT_ELIGIBLE_DETAIL =
  'Only consumers who have subscribed to this API can review it: a subscription that gave access (trialing or active, even if since canceled or expired) counts; pending, rejected or unpaid ones do not. Subscribe to one of its plans, then post your review.';

function reviewNotFound(): AppError {
  return new AppError('not_found', 'Review not found: no review you may see has this id.');
}

function alreadyReviewed(existing: ReviewEntity): AppError {
  return conflict(
    `You already reviewed this API (review ${existing.id}): there is one review per consumer per API. Edit it with PATCH /v1/reviews/${existing.id} instead.`,
    { reviewId: existing.id },
  );
}

/**
 * Reviews of APIs by their consumers, providers' replies, helpful votes, reports and moderation,
 * and the per-API rating aggregates (README). Reads of a review by id follow the catalog's
 * visibility of its API: a review the caller may not see (its API is private to them, or an admin
 * hid it) answers 404 exactly like an unknown id.
 */
@Injectable()
export class ReviewsService implements OnModuleInit {
  private readonly logger = new Logger(ReviewsService.name);

  constructor(
    private readonly reviews: ReviewRepository,
    private readonly catalog: PublicCatalogService,
    private readonly listingRatings: ListingRatings,
    private readonly subscriptions: SubscriptionsService,
    private readonly accounts: AccountsService,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {}

  /** The public listing page shows the aggregate (catalog's ListingRatings port). */
  onModuleInit(): void {
    this.listingRatings.use({ ratingsOf: (apiIds) => this.aggregatesFor(apiIds) });
  }

  // ---- aggregates -----------------------------------------------------------------------------

  /** The aggregate of each API given (an API without reviews: count 0, average null). For libs/search. */
  async aggregatesFor(apiIds: readonly string[]): Promise<Map<string, ReviewAggregate>> {
    const counts = await this.reviews.starCounts(apiIds);
    const empty: StarCounts = [0, 0, 0, 0, 0];
    return new Map(apiIds.map((apiId) => [apiId, ratingOf(counts.get(apiId) ?? empty)]));
  }

  // ---- reading --------------------------------------------------------------------------------

  /** The visible reviews of an API the caller may see (catalog visibility; else 404). */
  async list(slug: string, caller: Reviewer | null, options: ReviewListOptions): Promise<ReviewPage> {
    const listing = await this.catalog.findVisibleBySlug(slug, caller);
    const [{ rows, total }, aggregates] = await Promise.all([
      this.reviews.listVisible(listing.id, options),
      this.aggregatesFor([listing.id]),
    ]);
    return {
      items: await this.views(rows, listing, caller),
      page: options.page,
      perPage: options.perPage,
      total,
      aggregate: aggregates.get(listing.id) ?? ratingOf([0, 0, 0, 0, 0]),
    };
  }

  // ---- the author -----------------------------------------------------------------------------

  /**
   * Posts the caller's review of an API. 404 when the caller may not see the API; 403 when the
   * caller is its provider or never had access through a subscription; 409 naming the existing
   * review when the caller already reviewed it.
   */
  async create(slug: string, caller: Reviewer, input: ReviewInput): Promise<ReviewView> {
    const listing = await this.catalog.findVisibleBySlug(slug, caller);
    if (listing.provider?.ownerAccountId === caller.accountId)
      throw forbidden(
        'Providers cannot review their own API: reviews come from its consumers. You can reply to them instead (PUT /v1/reviews/{id}/reply).',
      );
    if (!(await this.subscriptions.hasHadAccess(caller.accountId, listing.id)))
      throw forbidden(NOT_ELIGIBLE_DETAIL);
    const values = {
      apiId: listing.id,
      authorAccountId: caller.accountId,
      rating: input.rating,
      title: plainText('title', input.title, REVIEW_LIMITS.titleMax, { singleLine: true }),
      body: plainText('body', input.body, REVIEW_LIMITS.bodyMax),
    };
    let created: ReviewEntity;
    try {
      created = await this.reviews.writeWithAggregate(listing.id, async (manager) => {
        // under the aggregate lock, so a concurrent second review by the same author is seen here
        const existing = await this.reviews.findByAuthor(listing.id, caller.accountId, manager);
        if (existing) throw alreadyReviewed(existing);
        return this.reviews.insert(values, manager);
      });
    } catch (error) {
      if (isUniqueViolation(error, 'uq_reviews__api_id_author_account_id')) {
        const existing = await this.reviews.findByAuthor(listing.id, caller.accountId);
        if (existing) throw alreadyReviewed(existing);
      }
      throw error;
    }
    this.announce(listing.id);
    return (await this.views([created], listing, caller))[0];
  }

  /** The author edits rating, title or body (others: 403, or 404 when they may not see it). */
  async update(id: string, caller: Reviewer, patch: ReviewPatch): Promise<ReviewView> {
    const review = await this.authored(id, caller, 'edit');
    const changes: ReviewChanges = {};
    if (patch.rating !== undefined) changes.rating = patch.rating;
    if (patch.title !== undefined)
      changes.title = plainText('title', patch.title, REVIEW_LIMITS.titleMax, { singleLine: true });
    if (patch.body !== undefined) changes.body = plainText('body', patch.body, REVIEW_LIMITS.bodyMax);
    if (Object.keys(changes).length === 0)
      throw validationFailed('body', 'send at least one of rating, title, body');
    const updated = await this.reviews.writeWithAggregate(review.apiId, async (manager) => {
      if (!(await this.reviews.updateByAuthor(caller.accountId, id, changes, this.clock.now(), manager)))
        throw reviewNotFound();
      return this.reviews.findById(id, manager);
    });
    if (!updated) throw reviewNotFound();
    this.announce(review.apiId);
    const listing = await this.listingOf(updated.apiId, caller);
    return (await this.views([updated], listing, caller))[0];
  }

  /** The author deletes the review, its reply, votes and reports (others: 403, or 404). */
  async remove(id: string, caller: Reviewer): Promise<void> {
    const review = await this.authored(id, caller, 'delete');
    const deleted = await this.reviews.writeWithAggregate(review.apiId, (manager) =>
      this.reviews.deleteByAuthor(caller.accountId, id, manager),
    );
    if (!deleted) throw reviewNotFound();
    this.announce(review.apiId);
  }

  // ---- the provider ---------------------------------------------------------------------------

  /** Creates or replaces the provider's reply (the API's provider owner only: others 403). */
  async reply(id: string, caller: Reviewer, text: string): Promise<ReviewReplyView> {
    const { review, listing } = await this.visible(id, caller);
    this.assertProvider(listing, caller);
    const body = plainText('body', text, REVIEW_LIMITS.replyMax);
    return this.replyView(await this.reviews.upsertReply(review.id, caller.accountId, body), listing);
  }

  async removeReply(id: string, caller: Reviewer): Promise<void> {
    const { review, listing } = await this.visible(id, caller);
    this.assertProvider(listing, caller);
    if (!(await this.reviews.deleteReply(review.id)))
      throw new AppError('not_found', 'This review has no reply to delete.');
  }

  // ---- anyone signed in -----------------------------------------------------------------------

  /** Marks (or unmarks) the review helpful for the caller; idempotent, once per account. */
  async setHelpful(id: string, caller: Reviewer, helpful: boolean): Promise<HelpfulState> {
    const { review } = await this.visible(id, caller);
    if (helpful && review.authorAccountId === caller.accountId)
      throw forbidden('You cannot mark your own review helpful: helpful votes come from other readers.');
    const helpfulCount = await this.reviews.setHelpful(review.id, caller.accountId, helpful);
    return { reviewId: review.id, helpfulCount, markedHelpful: helpful };
  }

  /** Reports the review for moderation, once per account (a second report: 409 naming the first). */
  async report(
    id: string,
    caller: Reviewer,
    reason: ReportReason,
    details?: string,
  ): Promise<ReviewReportView> {
    const { review } = await this.visible(id, caller);
    if (review.authorAccountId === caller.accountId)
      throw forbidden('You cannot report your own review: edit or delete it instead.');
    const text =
      details === undefined || details.trim() === ''
        ? null
        : plainText('details', details, REVIEW_LIMITS.reportDetailsMax);
    if (reason === 'other' && text === null)
      throw validationFailed('details', "say what is wrong when the reason is 'other'");
    const existing = await this.reviews.findReport(review.id, caller.accountId);
    if (existing) throw this.alreadyReported(existing);
    try {
      return this.reportView(await this.reviews.insertReport(review.id, caller.accountId, reason, text));
    } catch (error) {
      if (isUniqueViolation(error, 'uq_review_reports__review_id_reporter_account_id')) {
        const winner = await this.reviews.findReport(review.id, caller.accountId);
        if (winner) throw this.alreadyReported(winner);
      }
      throw error;
    }
  }

  // ---- admin ----------------------------------------------------------------------------------

  async listReported(status: ReportedStatus, page: number, perPage: number): Promise<ReportedReviewPage> {
    const { rows, total } = await this.reviews.listReported(status, page, perPage);
    const ids = rows.map((row) => row.review.id);
    const apiIds = [...new Set(rows.map((row) => row.review.apiId))];
    const [profiles, reports, names] = await Promise.all([
      this.accounts.publicProfiles(rows.map((row) => row.review.authorAccountId)),
      this.reviews.reportsFor(ids, REVIEW_LIMITS.reportsShown),
      Promise.all(apiIds.map(async (apiId) => [apiId, await this.catalog.nameOf(apiId)] as const)),
    ]);
    const apiNames = new Map(names);
    return {
      items: rows.map(({ review, openReportCount }) => {
        const api = apiNames.get(review.apiId);
        return {
          id: review.id,
          api: { id: review.apiId, slug: api?.slug ?? '', name: api?.name ?? '' },
          rating: review.rating,
          title: review.title,
          body: review.body,
          author: {
            accountId: review.authorAccountId,
            displayName: profiles.get(review.authorAccountId)?.displayName ?? 'Former user',
          },
          helpfulCount: review.helpfulCount,
          hiddenAt: review.hiddenAt,
          openReportCount,
          reports: (reports.get(review.id) ?? []).map((report) => ({
            ...this.reportView(report),
            resolvedAt: report.resolvedAt,
            resolution: report.resolution,
          })),
          createdAt: review.createdAt,
          updatedAt: review.updatedAt,
        };
      }),
      page,
      perPage,
      total,
    };
  }

  /**
   * Hides (admin) a review: it leaves every public list and the aggregate, in the same
   * transaction, and its open reports are resolved as `hidden`. Hiding a hidden review changes
   * nothing.
   */
  async hide(id: string, adminAccountId: string): Promise<ReportedReviewView> {
    return this.moderate(id, { hidden: true, adminAccountId });
  }

  /**
   * Restores (admin) a review: visible again and back in the aggregate; its open reports are
   * resolved as `dismissed` (so restoring a visible review is how reports are dismissed).
   */
  async restore(id: string, adminAccountId: string): Promise<ReportedReviewView> {
    return this.moderate(id, { hidden: false, adminAccountId });
  }

  // ---- internals ------------------------------------------------------------------------------

  private async moderate(
    id: string,
    action: { hidden: boolean; adminAccountId: string },
  ): Promise<ReportedReviewView> {
    const found = await this.reviews.findById(id);
    if (!found) throw reviewNotFound();
    const now = this.clock.now();
    const changed = await this.reviews.writeWithAggregate(found.apiId, async (manager) => {
      const review = await this.reviews.findById(id, manager);
      if (!review) throw reviewNotFound();
      const wasHidden = review.hiddenAt !== null;
      if (wasHidden !== action.hidden)
        await this.reviews.setHidden(
          id,
          action.hidden ? { at: now, byAccountId: action.adminAccountId } : null,
          manager,
        );
      await this.reviews.resolveReports(id, action.hidden ? 'hidden' : 'dismissed', now, manager);
      return wasHidden !== action.hidden;
    });
    if (changed) this.announce(found.apiId);
    const review = await this.reviews.findById(id);
    if (!review) throw reviewNotFound();
    const reports = await this.reviews.reportsFor([id], REVIEW_LIMITS.reportsShown);
    const [profiles, api] = await Promise.all([
      this.accounts.publicProfiles([review.authorAccountId]),
      this.catalog.nameOf(review.apiId),
    ]);
    return {
      id: review.id,
      api: { id: review.apiId, slug: api?.slug ?? '', name: api?.name ?? '' },
      rating: review.rating,
      title: review.title,
      body: review.body,
      author: {
        accountId: review.authorAccountId,
        displayName: profiles.get(review.authorAccountId)?.displayName ?? 'Former user',
      },
      helpfulCount: review.helpfulCount,
      hiddenAt: review.hiddenAt,
      openReportCount: 0,
      reports: (reports.get(id) ?? []).map((report) => ({
        ...this.reportView(report),
        resolvedAt: report.resolvedAt,
        resolution: report.resolution,
      })),
      createdAt: review.createdAt,
      updatedAt: review.updatedAt,
    };
  }

  /**
   * A review the caller may see: it exists, is not hidden, and its API is visible to the caller
   * (catalog rules). Anything else: 404, the same answer as an unknown id.
   */
  private async visible(
    id: string,
    caller: Reviewer,
  ): Promise<{ review: ReviewEntity; listing: ApiListingEntity }> {
    const review = await this.reviews.findById(id);
    if (!review || review.hiddenAt !== null) throw reviewNotFound();
    try {
      return { review, listing: await this.catalog.findVisibleById(review.apiId, caller) };
    } catch (error) {
      if (error instanceof AppError && error.code === 'not_found') throw reviewNotFound();
      throw error;
    }
  }

  /** The caller's own review (whatever its state), else 404 when they may not see it, else 403. */
  private async authored(id: string, caller: Reviewer, action: 'edit' | 'delete'): Promise<ReviewEntity> {
    const review = await this.reviews.findById(id);
    if (review && review.authorAccountId === caller.accountId) return review;
    await this.visible(id, caller);
    throw forbidden(
      `Only the author of a review can ${action} it; you can mark it helpful or report it instead.`,
    );
  }

  private assertProvider(listing: ApiListingEntity, caller: Reviewer): void {
    if (listing.provider?.ownerAccountId !== caller.accountId)
      throw forbidden(
        "Only the provider of this API can reply to its reviews (the account that owns the API's provider profile).",
      );
  }

  private async listingOf(apiId: string, caller: Reviewer): Promise<ApiListingEntity | null> {
    try {
      return await this.catalog.findVisibleById(apiId, caller);
    } catch (error) {
      if (error instanceof AppError && error.code === 'not_found') return null;
      throw error;
    }
  }

  private async views(
    rows: ReviewEntity[],
    listing: ApiListingEntity | null,
    caller: Reviewer | null,
  ): Promise<ReviewView[]> {
    const ids = rows.map((row) => row.id);
    const [profiles, replies, marked] = await Promise.all([
      this.accounts.publicProfiles(rows.map((row) => row.authorAccountId)),
      this.reviews.repliesFor(ids),
      caller ? this.reviews.helpfulMarkedBy(caller.accountId, ids) : Promise.resolve(new Set<string>()),
    ]);
    return rows.map((row) => {
      const reply = replies.get(row.id);
      return {
        id: row.id,
        apiId: row.apiId,
        rating: row.rating,
        title: row.title,
        body: row.body,
        author: { displayName: profiles.get(row.authorAccountId)?.displayName ?? 'Former user' },
        helpfulCount: row.helpfulCount,
        reply: reply ? this.replyView(reply, listing) : null,
        mine: caller !== null && caller.accountId === row.authorAccountId,
        markedHelpful: marked.has(row.id),
        createdAt: row.createdAt,
        updatedAt: row.updatedAt,
        editedAt: row.editedAt,
      };
    });
  }

  private replyView(reply: ReviewReplyEntity, listing: ApiListingEntity | null): ReviewReplyView {
    return {
      body: reply.body,
      providerDisplayName: listing?.provider?.displayName ?? '',
      createdAt: reply.createdAt,
      updatedAt: reply.updatedAt,
    };
  }

  private reportView(report: ReviewReportEntity): ReviewReportView {
    return {
      id: report.id,
      reviewId: report.reviewId,
      reason: report.reason,
      details: report.details,
      createdAt: report.createdAt,
    };
  }

  private alreadyReported(existing: ReviewReportEntity): AppError {
    return conflict(
      `You already reported this review (report ${existing.id}): one report per account; an admin will look at it.`,
      { reportId: existing.id },
    );
  }

  /** After the commit: libs/search (and anyone) re-reads the API's aggregate. */
  private announce(apiId: string): void {
    const message: ReviewsChangedMessage = { apiId };
    this.events.publish(REVIEWS_CHANGED_EVENT, JSON.stringify(message)).catch((error: unknown) => {
      this.logger.warn(
        { err: error, apiId },
        'could not broadcast reviews-changed; search catches up on its next reindex',
      );
    });
  }
}
