import {
  CATALOG_PAGE_LIMITS,
  CURRENCY_MINOR_UNITS,
  PublicCatalogService,
  SUPPORTED_CURRENCIES,
} from '@app/catalog';
import { Public } from '@app/common';
import type { AuthenticatedSession } from '@app/identity';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OptionalSession } from '../http/optional-session.decorator';
import { CatalogListingDetailDto, CatalogPageDto, CatalogQueryDto, CategoryDto } from './listings.dto';
import { CurrencyDto } from './plans.dto';

/** The public marketplace: anyone may read it; a signed-in account also sees private APIs it is invited to. */
@ApiTags('catalog')
@Controller('v1')
export class CatalogController {
  constructor(private readonly catalog: PublicCatalogService) {}

  @Get('apis')
  @Public()
  @ApiOperation({
    summary:
      'Public catalog: published and deprecated public APIs, filtered by category, tag, provider (slug) and pricing (free: has a free plan; paid: has a paid plan), sorted newest or by name, paginated.',
  })
  @ApiOkResponse({ type: CatalogPageDto })
  async list(@Query() query: CatalogQueryDto): Promise<CatalogPageDto> {
    return CatalogPageDto.from(
      await this.catalog.list({
        page: query.page ?? 1,
        perPage: query.perPage ?? CATALOG_PAGE_LIMITS.perPageDefault,
        category: query.category,
        tag: query.tag,
        provider: query.provider,
        pricing: query.pricing,
        sort: query.sort ?? 'newest',
      }),
    );
  }

  @Get('apis/:slug')
  @Public()
  @ApiOperation({
    summary:
      "One API's page: the listing, its provider, the current version's endpoints and the active public plans. A private API answers 404 to anyone but its owner and invited accounts, like an unknown slug.",
  })
  @ApiOkResponse({ type: CatalogListingDetailDto })
  @ApiNotFoundResponse({ description: 'not_found: no such API, or not visible to the caller.' })
  async get(
    @OptionalSession() session: AuthenticatedSession | null,
    @Param('slug') slug: string,
  ): Promise<CatalogListingDetailDto> {
    const viewer = session ? { accountId: session.account.id, email: session.account.email } : null;
    return CatalogListingDetailDto.fromDetail(await this.catalog.getBySlug(slug, viewer));
  }

  @Get('categories')
  @Public()
  @ApiOperation({ summary: 'The fixed list of categories, with how many public APIs each holds.' })
  @ApiOkResponse({ type: [CategoryDto] })
  async categories(): Promise<CategoryDto[]> {
    return (await this.catalog.categoriesWithCounts()).map((category) => CategoryDto.from(category));
  }

  @Get('currencies')
  @Public()
  @ApiOperation({
    summary:
      'The currencies plans may be priced in, with their minor-unit digits: every amount Portico answers is in minor units, and this is how to show one (ISO 4217; some differ from what browsers assume, e.g. HUF and IDR have 2).',
  })
  @ApiOkResponse({ type: [CurrencyDto] })
  currencies(): CurrencyDto[] {
    return SUPPORTED_CURRENCIES.map((code) => ({ code, minorUnits: CURRENCY_MINOR_UNITS[code] }));
  }
}
