import { Public } from '@app/common';
import type { AuthenticatedSession } from '@app/identity';
import { REVIEW_LIMITS, ReviewsService, type Reviewer } from '@app/reviews';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentSession } from '../http/current-session.decorator';
import { OptionalSession } from '../http/optional-session.decorator';
import { UuidParam } from '../http/uuid-param.pipe';
import {
  CreateReportDto,
  CreateReviewDto,
  HelpfulStateDto,
  ReplyDto,
  ReviewDto,
  ReviewPageDto,
  ReviewReplyDto,
  ReviewReportDto,
  ReviewsQueryDto,
  UpdateReviewDto,
} from './reviews.dto';

const reviewerOf = (session: AuthenticatedSession): Reviewer => ({
  accountId: session.account.id,
  email: session.account.email,
});

const NOT_FOUND =
  'not_found: no such review, or one you may not see (its API is not visible to you, or an admin hid it).';

/**
 * Reviews of APIs (libs/reviews). Reading follows the catalog's visibility of the API; writing
 * needs a session (and the CSRF token with the cookie). Who may do what is in libs/reviews/README.md.
 */
@ApiTags('reviews')
@Controller('v1')
export class ReviewsController {
  constructor(private readonly reviews: ReviewsService) {}

  @Get('apis/:slug/reviews')
  @Public()
  @ApiOperation({
    summary:
      "An API's visible reviews, paginated, with its rating aggregate. Anyone may read the reviews of a public API; a private API answers 404 to anyone but its owner and invited accounts, like an unknown slug. Signed in, `mine` and `markedHelpful` say what is yours.",
  })
  @ApiOkResponse({ type: ReviewPageDto })
  @ApiNotFoundResponse({ description: 'not_found: no such API, or not visible to the caller.' })
  async list(
    @OptionalSession() session: AuthenticatedSession | null,
    @Param('slug') slug: string,
    @Query() query: ReviewsQueryDto,
  ): Promise<ReviewPageDto> {
    return ReviewPageDto.from(
      await this.reviews.list(slug, session ? reviewerOf(session) : null, {
        sort: query.sort ?? 'newest',
        rating: query.rating,
        page: query.page ?? 1,
        perPage: query.perPage ?? REVIEW_LIMITS.perPageDefault,
      }),
    );
  }

  @Post('apis/:slug/reviews')
  @ApiOperation({
    summary:
      'Review an API: 1–5 stars, a title and a body. Only consumers whose subscription to the API gave access (trialing or active, even if since canceled or expired) may review it, once.',
  })
  @ApiCreatedResponse({ type: ReviewDto })
  @ApiForbiddenResponse({
    description:
      'forbidden: you never had access to this API through a subscription, or you are its provider (the detail says which).',
  })
  @ApiNotFoundResponse({ description: 'not_found: no such API, or not visible to the caller.' })
  @ApiConflictResponse({
    description: 'conflict: you already reviewed this API; `reviewId` names the review to edit.',
  })
  async create(
    @CurrentSession() session: AuthenticatedSession,
    @Param('slug') slug: string,
    @Body() body: CreateReviewDto,
  ): Promise<ReviewDto> {
    return ReviewDto.from(await this.reviews.create(slug, reviewerOf(session), body));
  }

  @Patch('reviews/:id')
  @ApiOperation({ summary: 'Edit your review (any of rating, title, body). The aggregate follows at once.' })
  @ApiOkResponse({ type: ReviewDto })
  @ApiForbiddenResponse({ description: 'forbidden: only the author can edit a review.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async update(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
    @Body() body: UpdateReviewDto,
  ): Promise<ReviewDto> {
    return ReviewDto.from(await this.reviews.update(id, reviewerOf(session), body));
  }

  @Delete('reviews/:id')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Delete your review (with its reply, helpful votes and reports). You may then review the API again.',
  })
  @ApiNoContentResponse()
  @ApiForbiddenResponse({ description: 'forbidden: only the author can delete a review.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async remove(@CurrentSession() session: AuthenticatedSession, @UuidParam('id') id: string): Promise<void> {
    await this.reviews.remove(id, reviewerOf(session));
  }

  @Put('reviews/:id/reply')
  @ApiOperation({
    summary:
      "Reply to a review of your API, or replace your reply (one per review). The API's provider only.",
  })
  @ApiOkResponse({ type: ReviewReplyDto })
  @ApiForbiddenResponse({ description: 'forbidden: only the provider of the reviewed API can reply.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async reply(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
    @Body() body: ReplyDto,
  ): Promise<ReviewReplyDto> {
    return ReviewReplyDto.from(await this.reviews.reply(id, reviewerOf(session), body.body));
  }

  @Delete('reviews/:id/reply')
  @HttpCode(204)
  @ApiOperation({ summary: "Delete your reply to a review of your API. The API's provider only." })
  @ApiNoContentResponse()
  @ApiForbiddenResponse({
    description: 'forbidden: only the provider of the reviewed API can delete its reply.',
  })
  @ApiNotFoundResponse({ description: `${NOT_FOUND} Also when the review has no reply.` })
  async removeReply(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
  ): Promise<void> {
    await this.reviews.removeReply(id, reviewerOf(session));
  }

  @Put('reviews/:id/helpful')
  @ApiOperation({
    summary: 'Mark a review helpful (once per account: repeating changes nothing). Not your own.',
  })
  @ApiOkResponse({ type: HelpfulStateDto })
  @ApiForbiddenResponse({ description: 'forbidden: it is your own review.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async markHelpful(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
  ): Promise<HelpfulStateDto> {
    return HelpfulStateDto.from(await this.reviews.setHelpful(id, reviewerOf(session), true));
  }

  @Delete('reviews/:id/helpful')
  @ApiOperation({ summary: 'Take back your helpful mark (repeating changes nothing).' })
  @ApiOkResponse({ type: HelpfulStateDto })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  async unmarkHelpful(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
  ): Promise<HelpfulStateDto> {
    return HelpfulStateDto.from(await this.reviews.setHelpful(id, reviewerOf(session), false));
  }

  @Post('reviews/:id/reports')
  @ApiOperation({
    summary: 'Report a review to the moderators, with a reason (once per account). Not your own.',
  })
  @ApiCreatedResponse({ type: ReviewReportDto })
  @ApiForbiddenResponse({ description: 'forbidden: it is your own review.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({
    description: 'conflict: you already reported this review; `reportId` names the report.',
  })
  async report(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
    @Body() body: CreateReportDto,
  ): Promise<ReviewReportDto> {
    return ReviewReportDto.from(
      await this.reviews.report(id, reviewerOf(session), body.reason, body.details),
    );
  }
}
