import { Public } from '@app/common';
import { SEARCH_LIMITS, SearchService } from '@app/search';
import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { SearchPageDto, SearchQueryDto, SuggestionDto, SuggestQueryDto } from './search.dto';

/**
 * Marketplace search: anonymous, over the public catalog only (published and deprecated public
 * listings; private, draft, pending and retired ones are never indexed).
 */
@ApiTags('search')
@Controller('v1/search')
export class SearchController {
  constructor(private readonly search: SearchService) {}

  @Get()
  @Public()
  @ApiOperation({
    summary:
      'Search the public catalog: full-text with typo tolerance, filters (category, tags, pricing, minRating), sorts (relevance, popularity, rating, latency, newest), highlights and disjunctive facet counts.',
  })
  @ApiOkResponse({ type: SearchPageDto })
  @ApiServiceUnavailableResponse({ description: 'service_unavailable: the search engine did not answer.' })
  async find(@Query() query: SearchQueryDto): Promise<SearchPageDto> {
    const perPage = query.perPage ?? SEARCH_LIMITS.perPageDefault;
    const page = query.page ?? 1;
    return SearchPageDto.from(
      await this.search.search({
        q: query.q ?? '',
        category: query.category,
        tags: query.tags,
        pricing: query.pricing,
        minRating: query.minRating,
        sort: query.sort ?? 'relevance',
        // deep pages are clamped to the window (page × perPage ≤ windowMax)
        page: Math.min(page, Math.max(1, Math.floor(SEARCH_LIMITS.windowMax / perPage))),
        perPage,
      }),
    );
  }

  @Get('suggest')
  @Public()
  @ApiOperation({ summary: 'Type-ahead: public APIs whose name has words starting with what was typed.' })
  @ApiOkResponse({ type: [SuggestionDto] })
  async suggest(@Query() query: SuggestQueryDto): Promise<SuggestionDto[]> {
    const suggestions = await this.search.suggest(query.q, query.limit ?? SEARCH_LIMITS.suggestDefault);
    return suggestions.map((suggestion) => SuggestionDto.from(suggestion));
  }
}
