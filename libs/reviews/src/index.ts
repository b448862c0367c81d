export * from './reviews.module';
export { REVIEWS_CHANGED_EVENT, type ReviewsChangedMessage } from './reviews-changed.event';
export {
  REPORT_REASONS,
  REPORTED_STATUSES,
  REVIEW_LIMITS,
  REVIEW_SORTS,
  type ReportReason,
  type ReportResolution,
  type ReportedStatus,
  type ReviewSort,
} from './review.rules';
export {
  NOT_ELIGIBLE_DETAIL,
  ReviewsService,
  type HelpfulState,
  type ModerationReportView,
  type ReportedReviewPage,
  type ReportedReviewView,
  type ReviewAggregate,
  type ReviewInput,
  type ReviewListOptions,
  type ReviewPage,
  type ReviewPatch,
  type Reviewer,
  type ReviewReplyView,
  type ReviewReportView,
  type ReviewView,
} from './reviews.service';
