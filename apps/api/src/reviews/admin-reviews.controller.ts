import type { AuthenticatedSession } from '@app/identity';
import { REVIEW_LIMITS, ReviewsService } from '@app/reviews';
import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentSession } from '../http/current-session.decorator';
import { Roles } from '../http/roles.guard';
import { UuidParam } from '../http/uuid-param.pipe';
import { ReportedReviewDto, ReportedReviewPageDto, ReportedReviewsQueryDto } from './reviews.dto';

/** Moderation of reported reviews. Admins only. */
@ApiTags('admin')
@Controller('v1/admin/reviews')
@Roles('admin')
export class AdminReviewsController {
  constructor(private readonly reviews: ReviewsService) {}

  @Get('reported')
  @ApiOperation({
    summary:
      'The moderation queue: reviews with open reports (longest waiting first), or the hidden reviews (status=hidden).',
  })
  @ApiOkResponse({ type: ReportedReviewPageDto })
  async reported(@Query() query: ReportedReviewsQueryDto): Promise<ReportedReviewPageDto> {
    return ReportedReviewPageDto.from(
      await this.reviews.listReported(
        query.status ?? 'open',
        query.page ?? 1,
        query.perPage ?? REVIEW_LIMITS.reportedPerPageDefault,
      ),
    );
  }

  @Post(':id/hide')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Hide a review: it leaves the public lists and the API’s aggregate at once; its open reports are resolved (hidden). Hiding a hidden review changes nothing.',
  })
  @ApiOkResponse({ type: ReportedReviewDto })
  @ApiNotFoundResponse({ description: 'not_found: no review has this id.' })
  async hide(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
  ): Promise<ReportedReviewDto> {
    return ReportedReviewDto.from(await this.reviews.hide(id, session.account.id));
  }

  @Post(':id/restore')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Restore a review: visible again and back in the aggregate; its open reports are resolved (dismissed) — also how reports on a visible review are dismissed.',
  })
  @ApiOkResponse({ type: ReportedReviewDto })
  @ApiNotFoundResponse({ description: 'not_found: no review has this id.' })
  async restore(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') id: string,
  ): Promise<ReportedReviewDto> {
    return ReportedReviewDto.from(await this.reviews.restore(id, session.account.id));
  }
}
