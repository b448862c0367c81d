import {
  REPORT_REASONS,
  REPORTED_STATUSES,
  REVIEW_LIMITS,
  REVIEW_SORTS,
  type HelpfulState,
  type ModerationReportView,
  type ReportedReviewPage,
  type ReportedReviewView,
  type ReportReason,
  type ReportedStatus,
  type ReportResolution,
  type ReviewPage,
  type ReviewReplyView,
  type ReviewReportView,
  type ReviewSort,
  type ReviewView,
} from '@app/reviews';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ListingRatingDto } from '../catalog/listings.dto';

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

const PLAIN_TEXT =
  'Plain text (trimmed; newlines kept; no control characters). Stored as sent and never rendered as HTML by the api: clients must display it as text.';

// ---- requests ---------------------------------------------------------------------------------

export class CreateReviewDto {
  @ApiProperty({ minimum: 1, maximum: 5, description: 'Stars, 1 to 5.' })
  @IsInt({ message: 'rating must be an integer from 1 to 5' })
  @Min(1)
  @Max(5)
  rating!: number;

  @ApiProperty({ minLength: 1, maxLength: REVIEW_LIMITS.titleMax, description: `One line. ${PLAIN_TEXT}` })
  @IsString()
  @MaxLength(REVIEW_LIMITS.titleMax)
  title!: string;

  @ApiProperty({ minLength: 1, maxLength: REVIEW_LIMITS.bodyMax, description: PLAIN_TEXT })
  @IsString()
  @MaxLength(REVIEW_LIMITS.bodyMax)
  body!: string;
}

export class UpdateReviewDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 5 })
  @IsOptional()
  @IsInt({ message: 'rating must be an integer from 1 to 5' })
  @Min(1)
  @Max(5)
  rating?: number;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: REVIEW_LIMITS.titleMax,
    description: `One line. ${PLAIN_TEXT}`,
  })
  @IsOptional()
  @IsString()
  @MaxLength(REVIEW_LIMITS.titleMax)
  title?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: REVIEW_LIMITS.bodyMax, description: PLAIN_TEXT })
  @IsOptional()
  @IsString()
  @MaxLength(REVIEW_LIMITS.bodyMax)
  body?: string;
}

export class ReplyDto {
  @ApiProperty({ minLength: 1, maxLength: REVIEW_LIMITS.replyMax, description: PLAIN_TEXT })
  @IsString()
  @MaxLength(REVIEW_LIMITS.replyMax)
  body!: string;
}

export class CreateReportDto {
  @ApiProperty({ enum: REPORT_REASONS })
  @IsIn([...REPORT_REASONS], { message: `reason must be one of ${REPORT_REASONS.join(', ')}` })
  reason!: ReportReason;

  @ApiPropertyOptional({
    maxLength: REVIEW_LIMITS.reportDetailsMax,
    description: `What is wrong (required when reason is other). ${PLAIN_TEXT}`,
  })
  @IsOptional()
  @IsString()
  @MaxLength(REVIEW_LIMITS.reportDetailsMax)
  details?: string;
}

export class ReviewsQueryDto {
  @ApiPropertyOptional({
    enum: REVIEW_SORTS,
    default: 'newest',
    description: 'newest first; most helpful first; highest rating first (ties: newest first).',
  })
  @IsOptional()
  @IsIn([...REVIEW_SORTS], { message: `sort must be one of ${REVIEW_SORTS.join(', ')}` })
  sort?: ReviewSort;

  @ApiPropertyOptional({ minimum: 1, maximum: 5, description: 'Only reviews with this many stars.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5)
  rating?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: REVIEW_LIMITS.pageMax, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(REVIEW_LIMITS.pageMax)
  page?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: REVIEW_LIMITS.perPageMax,
    default: REVIEW_LIMITS.perPageDefault,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(REVIEW_LIMITS.perPageMax)
  perPage?: number;
}

export class ReportedReviewsQueryDto {
  @ApiPropertyOptional({
    enum: REPORTED_STATUSES,
    default: 'open',
    description:
      'open: reviews with unresolved reports, longest waiting first; hidden: hidden reviews, latest first.',
  })
  @IsOptional()
  @IsIn([...REPORTED_STATUSES], { message: `status must be one of ${REPORTED_STATUSES.join(', ')}` })
  status?: ReportedStatus;

  @ApiPropertyOptional({ minimum: 1, maximum: REVIEW_LIMITS.pageMax, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(REVIEW_LIMITS.pageMax)
  page?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: REVIEW_LIMITS.reportedPerPageMax,
    default: REVIEW_LIMITS.reportedPerPageDefault,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(REVIEW_LIMITS.reportedPerPageMax)
  perPage?: number;
}

// ---- responses --------------------------------------------------------------------------------

export class ReviewReplyDto {
  @ApiProperty({ description: PLAIN_TEXT }) body!: string;
  @ApiProperty({ description: "The API's provider, who wrote the reply." }) providerDisplayName!: string;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt!: string;

  static from(view: ReviewReplyView): ReviewReplyDto {
    return {
      body: view.body,
      providerDisplayName: view.providerDisplayName,
      createdAt: view.createdAt.toISOString(),
      updatedAt: view.updatedAt.toISOString(),
    };
  }
}

export class ReviewAuthorDto {
  @ApiProperty({ description: "The author's display name (never the email)." }) displayName!: string;
}

export class ReviewDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) apiId!: string;
  @ApiProperty({ minimum: 1, maximum: 5 }) rating!: number;
  @ApiProperty({ description: PLAIN_TEXT }) title!: string;
  @ApiProperty({ description: PLAIN_TEXT }) body!: string;
  @ApiProperty({ type: () => ReviewAuthorDto }) author!: ReviewAuthorDto;
  @ApiProperty({ description: 'Accounts that marked it helpful.' }) helpfulCount!: number;
  @ApiProperty({ type: () => ReviewReplyDto, nullable: true, description: "The provider's reply, if any." })
  reply!: ReviewReplyDto | null;
  @ApiProperty({ description: 'You wrote it (false when anonymous).' }) mine!: boolean;
  @ApiProperty({ description: 'You marked it helpful (false when anonymous).' }) markedHelpful!: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt!: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the author last edited it; null if never.',
  })
  editedAt!: string | null;

  static from(view: ReviewView): ReviewDto {
    return {
      id: view.id,
      apiId: view.apiId,
      rating: view.rating,
      title: view.title,
      body: view.body,
      author: { displayName: view.author.displayName },
      helpfulCount: view.helpfulCount,
      reply: view.reply ? ReviewReplyDto.from(view.reply) : null,
      mine: view.mine,
      markedHelpful: view.markedHelpful,
      createdAt: view.createdAt.toISOString(),
      updatedAt: view.updatedAt.toISOString(),
      editedAt: iso(view.editedAt),
    };
  }
}

export class ReviewPageDto {
  @ApiProperty({ type: [ReviewDto] }) items!: ReviewDto[];
  @ApiProperty() page!: number;
  @ApiProperty() perPage!: number;
  @ApiProperty({ description: 'Visible reviews matching the filter, across all pages.' }) total!: number;
  @ApiProperty({
    type: () => ListingRatingDto,
    description: "The API's aggregate over all its visible reviews.",
  })
  aggregate!: ListingRatingDto;

  static from(page: ReviewPage): ReviewPageDto {
    return {
      items: page.items.map((item) => ReviewDto.from(item)),
      page: page.page,
      perPage: page.perPage,
      total: page.total,
      aggregate: ListingRatingDto.from(page.aggregate),
    };
  }
}

export class HelpfulStateDto {
  @ApiProperty({ format: 'uuid' }) reviewId!: string;
  @ApiProperty() helpfulCount!: number;
  @ApiProperty() markedHelpful!: boolean;

  static from(state: HelpfulState): HelpfulStateDto {
    return { ...state };
  }
}

export class ReviewReportDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) reviewId!: string;
  @ApiProperty({ enum: REPORT_REASONS }) reason!: ReportReason;
  @ApiProperty({ type: String, nullable: true }) details!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;

  static from(view: ReviewReportView): ReviewReportDto {
    return {
      id: view.id,
      reviewId: view.reviewId,
      reason: view.reason,
      details: view.details,
      createdAt: view.createdAt.toISOString(),
    };
  }
}

export class ModerationReportDto extends ReviewReportDto {
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) resolvedAt!: string | null;
  @ApiProperty({ enum: ['hidden', 'dismissed'], nullable: true, description: 'null while open.' })
  resolution!: ReportResolution | null;

  static fromModeration(view: ModerationReportView): ModerationReportDto {
    return { ...ReviewReportDto.from(view), resolvedAt: iso(view.resolvedAt), resolution: view.resolution };
  }
}

export class ReviewedApiDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() name!: string;
}

export class ModeratedAuthorDto {
  @ApiProperty({ format: 'uuid' }) accountId!: string;
  @ApiProperty() displayName!: string;
}

export class ReportedReviewDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: () => ReviewedApiDto }) api!: ReviewedApiDto;
  @ApiProperty({ minimum: 1, maximum: 5 }) rating!: number;
  @ApiProperty() title!: string;
  @ApiProperty() body!: string;
  @ApiProperty({ type: () => ModeratedAuthorDto }) author!: ModeratedAuthorDto;
  @ApiProperty() helpfulCount!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Null while visible.' })
  hiddenAt!: string | null;
  @ApiProperty({ description: 'Reports not yet resolved by a hide or restore.' }) openReportCount!: number;
  @ApiProperty({
    type: [ModerationReportDto],
    description: `Its reports, newest first (at most ${REVIEW_LIMITS.reportsShown}).`,
  })
  reports!: ModerationReportDto[];
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt!: string;

  static from(view: ReportedReviewView): ReportedReviewDto {
    return {
      id: view.id,
      api: { ...view.api },
      rating: view.rating,
      title: view.title,
      body: view.body,
      author: { ...view.author },
      helpfulCount: view.helpfulCount,
      hiddenAt: iso(view.hiddenAt),
      openReportCount: view.openReportCount,
      reports: view.reports.map((report) => ModerationReportDto.fromModeration(report)),
      createdAt: view.createdAt.toISOString(),
      updatedAt: view.updatedAt.toISOString(),
    };
  }
}

export class ReportedReviewPageDto {
  @ApiProperty({ type: [ReportedReviewDto] }) items!: ReportedReviewDto[];
  @ApiProperty() page!: number;
  @ApiProperty() perPage!: number;
  @ApiProperty() total!: number;

  static from(page: ReportedReviewPage): ReportedReviewPageDto {
    return {
      items: page.items.map((item) => ReportedReviewDto.from(item)),
      page: page.page,
      perPage: page.perPage,
      total: page.total,
    };
  }
}
