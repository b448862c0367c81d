import {
  PRICINGS,
  RATING_BUCKETS,
  SEARCH_LIMITS,
  SEARCH_SORTS,
  type FacetCount,
  type Pricing,
  type SearchHit,
  type SearchPage,
  type SearchSort,
  type Suggestion,
} from '@app/search';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** `tags=a,b` or `tags=a&tags=b` → ['a', 'b'] (trimmed, lower-cased, empties dropped). */
function toTagList({ value }: { value: unknown }): unknown {
  const raw = Array.isArray(value) ? value : [value];
  if (!raw.every((item) => typeof item === 'string')) return value;
  return raw
    .flatMap((item) => item.split(','))
    .map((tag) => tag.trim().toLowerCase())
    .filter((tag) => tag.length > 0);
}

export class SearchQueryDto {
  @ApiPropertyOptional({
    maxLength: SEARCH_LIMITS.queryMax,
    description:
      'Free text. Web-search syntax: "quoted phrase", OR, -excluded. Empty: browse (sorted by popularity unless sort says otherwise).',
  })
  @IsOptional()
  @IsString()
  @MaxLength(SEARCH_LIMITS.queryMax)
  q?: string;

  @ApiPropertyOptional({ maxLength: 64, description: 'Category slug.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  category?: string;

  @ApiPropertyOptional({
    type: String,
    description: `Comma-separated tags (or the parameter repeated): listings with ANY of them. At most ${SEARCH_LIMITS.tagsMax}.`,
    example: 'weather,maps',
  })
  @IsOptional()
  @Transform(toTagList)
  @ArrayMaxSize(SEARCH_LIMITS.tagsMax)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  @Matches(/^[a-z0-9][a-z0-9-]*$/, { each: true, message: 'each tag holds lower-case letters, digits and "-"' })
  tags?: string[];

  @ApiPropertyOptional({ enum: PRICINGS, description: 'free: only free plans; paid: only paid plans; freemium: both.' })
  @IsOptional()
  @IsIn([...PRICINGS])
  pricing?: Pricing;

  @ApiPropertyOptional({ minimum: 1, maximum: 5, description: 'At least this average rating.' })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 2 })
  @Min(1)
  @Max(5)
  minRating?: number;

  @ApiPropertyOptional({ enum: SEARCH_SORTS, default: 'relevance' })
  @IsOptional()
  @IsIn([...SEARCH_SORTS])
  sort?: SearchSort;

  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(SEARCH_LIMITS.windowMax)
  page?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: SEARCH_LIMITS.perPageMax, default: SEARCH_LIMITS.perPageDefault })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(SEARCH_LIMITS.perPageMax)
  perPage?: number;
}

export class SuggestQueryDto {
  @ApiProperty({ maxLength: 100, description: 'What was typed so far.' })
  @IsString()
  @MaxLength(100)
  q!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: SEARCH_LIMITS.suggestMax, default: SEARCH_LIMITS.suggestDefault })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(SEARCH_LIMITS.suggestMax)
  limit?: number;
}

export class FacetCountDto {
  @ApiProperty() value!: string;
  @ApiProperty() count!: number;
}

export class SearchFacetsDto {
  @ApiProperty({ type: [FacetCountDto], description: 'Category slugs, counted with every other filter applied.' })
  category!: FacetCount[];
  @ApiProperty({ type: [FacetCountDto], description: `The ${SEARCH_LIMITS.tagFacetMax} most frequent tags, counted with every other filter applied.` })
  tags!: FacetCount[];
  @ApiProperty({ type: [FacetCountDto], description: 'free | paid | freemium, counted with every other filter applied.' })
  pricing!: FacetCount[];
  @ApiProperty({
    type: [FacetCountDto],
    description: `Cumulative rating buckets ${RATING_BUCKETS.join(', ')} ("4" = at least 4 stars, what minRating=4 answers), counted with every other filter applied.`,
  })
  rating!: FacetCount[];
}

export class SearchHighlightsDto {
  @ApiProperty({ description: 'HTML: the name escaped, matches in <mark>.' }) name!: string;
  @ApiProperty({ description: 'HTML: the summary escaped, matches in <mark>.' }) summary!: string;
  @ApiProperty({ nullable: true, type: String, description: 'HTML snippet of the description around a match, or null.' })
  description!: string | null;
}

export class SearchCategoryRefDto {
  @ApiProperty() slug!: string;
  @ApiProperty() name!: string;
}

export class SearchProviderRefDto {
  @ApiProperty() slug!: string;
  @ApiProperty() displayName!: string;
}

export class SearchHitDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() name!: string;
  @ApiProperty() summary!: string;
  @ApiProperty({ type: () => SearchCategoryRefDto }) category!: SearchCategoryRefDto;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty({ type: () => SearchProviderRefDto }) provider!: SearchProviderRefDto;
  @ApiProperty({ nullable: true, type: String }) logoUrl!: string | null;
  @ApiProperty({ enum: ['published', 'deprecated'] }) status!: string;
  @ApiProperty({ nullable: true, type: String }) publishedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) sunsetAt!: string | null;
  @ApiProperty({ nullable: true, enum: PRICINGS, description: 'Null: no subscribable plan.' }) pricing!: Pricing | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Average stars, null without reviews.' }) ratingAvg!: number | null;
  @ApiProperty() ratingCount!: number;
  @ApiProperty({ description: 'Subscriptions with access.' }) subscribers!: number;
  @ApiProperty({ description: 'Calls through the gateway over the last 30 days.' }) calls30d!: number;
  @ApiProperty({ description: 'Sort key from subscribers and calls (log-scaled).' }) popularity!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'Median latency over 30 days (ms); null without calls.' })
  latencyMs!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Share of calls under status 400 over 30 days (0–1).' })
  successRate!: number | null;
  @ApiProperty({ type: () => SearchHighlightsDto }) highlights!: SearchHighlightsDto;

  static from(hit: SearchHit): SearchHitDto {
    const d = hit.document;
    return {
      id: d.id,
      slug: d.slug,
      name: d.name,
      summary: d.summary,
      category: { slug: d.category, name: d.categoryName },
      tags: d.tags,
      provider: { slug: d.providerSlug, displayName: d.providerName },
      logoUrl: d.logoUrl,
      status: d.status,
      publishedAt: d.publishedAt,
      sunsetAt: d.sunsetAt,
      pricing: d.pricing,
      ratingAvg: d.ratingAvg,
      ratingCount: d.ratingCount,
      subscribers: d.subscribers,
      calls30d: d.calls30d,
      popularity: d.popularity,
      latencyMs: d.latencyMs,
      successRate: d.successRate,
      highlights: { ...hit.highlights },
    };
  }
}

export class SearchPageDto {
  @ApiProperty({ type: [SearchHitDto] }) hits!: SearchHitDto[];
  @ApiProperty({ description: 'Listings matching the query and every filter, across all pages.' }) total!: number;
  @ApiProperty() page!: number;
  @ApiProperty() perPage!: number;
  @ApiProperty({ type: () => SearchFacetsDto }) facets!: SearchFacetsDto;
  @ApiProperty({ description: 'True when full-text found too little and typo-tolerant matching on names answered.' })
  fuzzy!: boolean;
  @ApiProperty({ description: 'Time the search took on the server (ms).' }) tookMs!: number;

  static from(page: SearchPage): SearchPageDto {
    return {
      hits: page.hits.map((hit) => SearchHitDto.from(hit)),
      total: page.total,
      page: page.page,
      perPage: page.perPage,
      facets: page.facets,
      fuzzy: page.fuzzy,
      tookMs: page.tookMs,
    };
  }
}

export class SuggestionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'HTML: the name escaped, the typed word prefixes in <mark>.' }) highlight!: string;

  static from(suggestion: Suggestion): SuggestionDto {
    return { ...suggestion };
  }
}
