import { ListingsService } from '@app/catalog';
import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '../http/roles.guard';
import { UuidParam } from '../http/uuid-param.pipe';
import { ReviewListingDto } from './listings.dto';

/** Review of public listings when the operator sets CATALOG_REQUIRE_APPROVAL=true. Admins only. */
@ApiTags('admin')
@Controller('v1/admin/apis')
@Roles('admin')
export class AdminListingsController {
  constructor(private readonly listings: ListingsService) {}

  @Get()
  @ApiOperation({ summary: 'APIs waiting for approval, oldest first.' })
  @ApiOkResponse({ type: [ReviewListingDto] })
  async pending(): Promise<ReviewListingDto[]> {
    return (await this.listings.pendingApproval()).map((listing) => ReviewListingDto.fromReview(listing));
  }

  @Post(':id/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'pending_approval → published: the API enters the public catalog.' })
  @ApiOkResponse({ type: ReviewListingDto })
  @ApiNotFoundResponse({ description: 'not_found: no API has this id.' })
  @ApiConflictResponse({ description: 'conflict: the API is not pending approval.' })
  async approve(@UuidParam('id') apiId: string): Promise<ReviewListingDto> {
    return ReviewListingDto.fromReview(await this.listings.approve(apiId));
  }

  @Post(':id/reject')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'pending_approval → draft (or, for an API that was already live and asked to become public, back to published and private).',
  })
  @ApiOkResponse({ type: ReviewListingDto })
  @ApiNotFoundResponse({ description: 'not_found: no API has this id.' })
  @ApiConflictResponse({ description: 'conflict: the API is not pending approval.' })
  async reject(@UuidParam('id') apiId: string): Promise<ReviewListingDto> {
    return ReviewListingDto.fromReview(await this.listings.reject(apiId));
  }
}
