import { CatalogModule } from '@app/catalog';
import { IdentityModule } from '@app/identity';
import { SubscriptionsModule } from '@app/subscriptions';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ReviewAggregateEntity } from './review-aggregate.entity';
import { ReviewHelpfulVoteEntity } from './review-helpful-vote.entity';
import { ReviewReplyEntity } from './review-reply.entity';
import { ReviewReportEntity } from './review-report.entity';
import { ReviewRepository } from './review.repository';
import { ReviewEntity } from './review.entity';
import { ReviewsService } from './reviews.service';

export const REVIEW_ENTITIES = [
  ReviewEntity,
  ReviewReplyEntity,
  ReviewHelpfulVoteEntity,
  ReviewReportEntity,
  ReviewAggregateEntity,
];

/** Needs CoreModule (DataSource, Clock, EventBus) and what SubscriptionsModule needs (BillingEnv). */
@Module({
  imports: [TypeOrmModule.forFeature(REVIEW_ENTITIES), CatalogModule, IdentityModule, SubscriptionsModule],
  providers: [ReviewRepository, ReviewsService],
  exports: [ReviewsService],
})
export class ReviewsModule {}
