import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { ReviewAggregateEntity } from './review-aggregate.entity';
import { ReviewHelpfulVoteEntity } from './review-helpful-vote.entity';
import { ReviewReplyEntity } from './review-reply.entity';
import { ReviewReportEntity } from './review-report.entity';
import type { ReportReason, ReportResolution, ReportedStatus, ReviewSort, StarCounts } from './review.rules';
import { ReviewEntity } from './review.entity';

export interface NewReview {
  apiId: string;
  authorAccountId: string;
  rating: number;
  title: string;
  body: string;
}

export type ReviewChanges = Partial<Pick<ReviewEntity, 'rating' | 'title' | 'body'>>;

export interface ReviewListQuery {
  sort: ReviewSort;
  rating?: number;
  page: number;
  perPage: number;
}

export interface ReportedRow {
  review: ReviewEntity;
  openReportCount: number;
}

const ORDER: Record<ReviewSort, Record<string, 'DESC'>> = {
  newest: { 'r.created_at': 'DESC', 'r.id': 'DESC' },
  helpful: { 'r.helpful_count': 'DESC', 'r.created_at': 'DESC', 'r.id': 'DESC' },
  rating: { 'r.rating': 'DESC', 'r.created_at': 'DESC', 'r.id': 'DESC' },
};

/**
 * The reviews tables. Author writes take the author's account id (an unscoped edit does not
 * type-check); moderation and the aggregate are system methods by business key. Every write that
 * can change an API's visible reviews goes through `writeWithAggregate`, which holds the API's
 * aggregate row FOR UPDATE for the whole transaction and recounts it before committing.
 */
@Injectable()
export class ReviewRepository {
  constructor(private readonly dataSource: DataSource) {}

  private reviews(manager?: EntityManager) {
    return (manager ?? this.dataSource.manager).getRepository(ReviewEntity);
  }

  // ---- aggregate ------------------------------------------------------------------------------

  /**
   * Runs `work` in a transaction that first locks the API's aggregate row (creating it when the API
   * has none yet), then recounts the API's visible reviews into it. Writers of one API serialize on
   * that row; READ COMMITTED gives the recount a snapshot taken after the lock was granted, so it
   * sees every earlier writer's commit plus this transaction's own write.
   */
  writeWithAggregate<T>(apiId: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO review_aggregates (api_id) VALUES ($1) ON CONFLICT (api_id) DO NOTHING`,
        [apiId],
      );
      await manager.query(`SELECT api_id FROM review_aggregates WHERE api_id = $1 FOR UPDATE`, [apiId]);
      const result = await work(manager);
      await this.recount(apiId, manager);
      return result;
    });
  }

  private async recount(apiId: string, manager: EntityManager): Promise<void> {
    const rows = await manager.query<{ rating: number; n: number }[]>(
      `SELECT rating, count(*)::int AS n FROM reviews WHERE api_id = $1 AND hidden_at IS NULL GROUP BY rating`,
      [apiId],
    );
    const counts: StarCounts = [0, 0, 0, 0, 0];
    for (const row of rows) counts[Number(row.rating) - 1] = Number(row.n);
    const total = counts.reduce((a, b) => a + b, 0);
    const sum = counts.reduce((acc, n, i) => acc + n * (i + 1), 0);
    await manager.query(
      `UPDATE review_aggregates
          SET review_count = $2, rating_sum = $3, count_1 = $4, count_2 = $5, count_3 = $6, count_4 = $7, count_5 = $8,
              updated_at = now()
        WHERE api_id = $1`,
      [apiId, total, sum, ...counts],
    );
  }

  /** Star counts per API (APIs without an aggregate row are left out). */
  async starCounts(apiIds: readonly string[]): Promise<Map<string, StarCounts>> {
    if (apiIds.length === 0) return new Map();
    const rows = await this.dataSource
      .getRepository(ReviewAggregateEntity)
      .findBy({ apiId: In([...new Set(apiIds)]) });
    return new Map(
      rows.map((row) => [row.apiId, [row.count1, row.count2, row.count3, row.count4, row.count5]]),
    );
  }

  // ---- reviews --------------------------------------------------------------------------------

  async insert(values: NewReview, manager: EntityManager): Promise<ReviewEntity> {
    const repo = this.reviews(manager);
    return repo.save(
      repo.create({ ...values, helpfulCount: 0, editedAt: null, hiddenAt: null, hiddenByAccountId: null }),
    );
  }

  findById(id: string, manager?: EntityManager): Promise<ReviewEntity | null> {
    return this.reviews(manager).findOne({ where: { id } });
  }

  findByAuthor(
    apiId: string,
    authorAccountId: string,
    manager?: EntityManager,
  ): Promise<ReviewEntity | null> {
    return this.reviews(manager).findOne({ where: { apiId, authorAccountId } });
  }

  /** The author's edit; false when the review is gone (or not theirs). */
  async updateByAuthor(
    authorAccountId: string,
    id: string,
    changes: ReviewChanges,
    editedAt: Date,
    manager: EntityManager,
  ): Promise<boolean> {
    const result = await this.reviews(manager).update({ id, authorAccountId }, { ...changes, editedAt });
    return (result.affected ?? 0) > 0;
  }

  /** The author's delete (replies, votes and reports go with it); false when already gone. */
  async deleteByAuthor(authorAccountId: string, id: string, manager: EntityManager): Promise<boolean> {
    const result = await this.reviews(manager).delete({ id, authorAccountId });
    return (result.affected ?? 0) > 0;
  }

  /** Moderation (admin): hides (`hiddenAt` set) or restores (null) a review. */
  async setHidden(
    id: string,
    hidden: { at: Date; byAccountId: string } | null,
    manager: EntityManager,
  ): Promise<void> {
    await this.reviews(manager).update(
      { id },
      { hiddenAt: hidden?.at ?? null, hiddenByAccountId: hidden?.byAccountId ?? null },
    );
  }

  async listVisible(apiId: string, query: ReviewListQuery): Promise<{ rows: ReviewEntity[]; total: number }> {
    const qb = this.reviews()
      .createQueryBuilder('r')
      .where('r.api_id = :apiId AND r.hidden_at IS NULL', { apiId });
    if (query.rating !== undefined) qb.andWhere('r.rating = :rating', { rating: query.rating });
    qb.orderBy(ORDER[query.sort])
      .offset((query.page - 1) * query.perPage)
      .limit(query.perPage);
    const [rows, total] = await qb.getManyAndCount();
    return { rows, total };
  }

  // ---- replies --------------------------------------------------------------------------------

  async repliesFor(reviewIds: readonly string[]): Promise<Map<string, ReviewReplyEntity>> {
    if (reviewIds.length === 0) return new Map();
    const rows = await this.dataSource
      .getRepository(ReviewReplyEntity)
      .findBy({ reviewId: In([...reviewIds]) });
    return new Map(rows.map((row) => [row.reviewId, row]));
  }

  /** Creates the review's reply or replaces its text (one per review: `uq_review_replies__review_id`). */
  async upsertReply(reviewId: string, authorAccountId: string, body: string): Promise<ReviewReplyEntity> {
    await this.dataSource.query(
      `INSERT INTO review_replies (review_id, author_account_id, body) VALUES ($1, $2, $3)
       ON CONFLICT (review_id) DO UPDATE SET body = EXCLUDED.body, author_account_id = EXCLUDED.author_account_id,
         updated_at = now()`,
      [reviewId, authorAccountId, body],
    );
    return this.dataSource.getRepository(ReviewReplyEntity).findOneByOrFail({ reviewId });
  }

  async deleteReply(reviewId: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(ReviewReplyEntity).delete({ reviewId });
    return (result.affected ?? 0) > 0;
  }

  // ---- helpful votes --------------------------------------------------------------------------

  /**
   * Adds (or removes) the account's helpful vote and moves `helpful_count` by one when the vote
   * actually changed, in one transaction; the count update takes the review's row lock, so
   * concurrent votes never lose an increment. Answers the count after the change.
   */
  async setHelpful(reviewId: string, accountId: string, helpful: boolean): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      // DELETE answers [rows, rowCount] through TypeORM's postgres driver, INSERT the rows
      const changed = helpful
        ? await manager.query<unknown[]>(
            `INSERT INTO review_helpful_votes (review_id, account_id) VALUES ($1, $2)
             ON CONFLICT DO NOTHING RETURNING review_id`,
            [reviewId, accountId],
          )
        : (
            await manager.query<[unknown[], number]>(
              `DELETE FROM review_helpful_votes WHERE review_id = $1 AND account_id = $2 RETURNING review_id`,
              [reviewId, accountId],
            )
          )[0];
      if (changed.length > 0) {
        await manager.query(`UPDATE reviews SET helpful_count = helpful_count + $2 WHERE id = $1`, [
          reviewId,
          helpful ? 1 : -1,
        ]);
      }
      const rows = await manager.query<{ helpful_count: number }[]>(
        `SELECT helpful_count FROM reviews WHERE id = $1`,
        [reviewId],
      );
      return Number(rows[0]?.helpful_count ?? 0);
    });
  }

  async helpfulMarkedBy(accountId: string, reviewIds: readonly string[]): Promise<Set<string>> {
    if (reviewIds.length === 0) return new Set();
    const rows = await this.dataSource
      .getRepository(ReviewHelpfulVoteEntity)
      .findBy({ accountId, reviewId: In([...reviewIds]) });
    return new Set(rows.map((row) => row.reviewId));
  }

  // ---- reports --------------------------------------------------------------------------------

  async insertReport(
    reviewId: string,
    reporterAccountId: string,
    reason: ReportReason,
    details: string | null,
  ): Promise<ReviewReportEntity> {
    const repo = this.dataSource.getRepository(ReviewReportEntity);
    return repo.save(
      repo.create({ reviewId, reporterAccountId, reason, details, resolvedAt: null, resolution: null }),
    );
  }

  findReport(reviewId: string, reporterAccountId: string): Promise<ReviewReportEntity | null> {
    return this.dataSource.getRepository(ReviewReportEntity).findOneBy({ reviewId, reporterAccountId });
  }

  /** Resolves every open report of the review (inside the moderation transaction). */
  async resolveReports(
    reviewId: string,
    resolution: ReportResolution,
    at: Date,
    manager: EntityManager,
  ): Promise<void> {
    await manager
      .getRepository(ReviewReportEntity)
      .createQueryBuilder()
      .update()
      .set({ resolvedAt: at, resolution })
      .where('review_id = :reviewId AND resolved_at IS NULL', { reviewId })
      .execute();
  }

  /**
   * The moderation queue. `open`: reviews with unresolved reports, the longest waiting first;
   * `hidden`: hidden reviews, most recently hidden first.
   */
  async listReported(
    status: ReportedStatus,
    page: number,
    perPage: number,
  ): Promise<{ rows: ReportedRow[]; total: number }> {
    const offset = (page - 1) * perPage;
    const open = `SELECT review_id, count(*)::int AS open_count, min(created_at) AS first_at
                    FROM review_reports WHERE resolved_at IS NULL GROUP BY review_id`;
    const [idRows, countRows] =
      status === 'open'
        ? await Promise.all([
            this.dataSource.query<{ id: string; open_count: number }[]>(
              `SELECT r.id, o.open_count FROM reviews r JOIN (${open}) o ON o.review_id = r.id
                ORDER BY o.first_at ASC, r.id ASC OFFSET $1 LIMIT $2`,
              [offset, perPage],
            ),
            this.dataSource.query<{ n: number }[]>(
              `SELECT count(DISTINCT review_id)::int AS n FROM review_reports WHERE resolved_at IS NULL`,
            ),
          ])
        : await Promise.all([
            this.dataSource.query<{ id: string; open_count: number }[]>(
              `SELECT r.id, coalesce(o.open_count, 0)::int AS open_count
                 FROM reviews r LEFT JOIN (${open}) o ON o.review_id = r.id
                WHERE r.hidden_at IS NOT NULL
                ORDER BY r.hidden_at DESC, r.id ASC OFFSET $1 LIMIT $2`,
              [offset, perPage],
            ),
            this.dataSource.query<{ n: number }[]>(
              `SELECT count(*)::int AS n FROM reviews WHERE hidden_at IS NOT NULL`,
            ),
          ]);
    const ids = idRows.map((row) => row.id);
    const reviews = ids.length > 0 ? await this.reviews().findBy({ id: In(ids) }) : [];
    const byId = new Map(reviews.map((review) => [review.id, review]));
    const rows = idRows.flatMap((row) => {
      const review = byId.get(row.id);
      return review ? [{ review, openReportCount: Number(row.open_count) }] : [];
    });
    return { rows, total: Number(countRows[0]?.n ?? 0) };
  }

  /** The reports of each review, newest first, at most `limit` per review. */
  async reportsFor(reviewIds: readonly string[], limit: number): Promise<Map<string, ReviewReportEntity[]>> {
    const out = new Map<string, ReviewReportEntity[]>();
    if (reviewIds.length === 0) return out;
    const rows = await this.dataSource
      .getRepository(ReviewReportEntity)
      .find({ where: { reviewId: In([...reviewIds]) }, order: { createdAt: 'DESC', id: 'ASC' } });
    for (const row of rows) {
      const list = out.get(row.reviewId) ?? [];
      if (list.length < limit) list.push(row);
      out.set(row.reviewId, list);
    }
    return out;
  }
}
