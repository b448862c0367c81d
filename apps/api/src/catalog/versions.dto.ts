import type {
  ApiEndpointEntity,
  EndpointChange,
  ImportResult,
  VersionChangelog,
  VersionDetail,
  VersionView,
} from '@app/catalog';
import { CHANGE_FIELDS } from '@app/catalog';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

const SOURCE_FORMATS = ['swagger-2.0', 'openapi-3.0', 'openapi-3.1'];
const VERSION_STATUSES = ['draft', 'current', 'superseded'];

export class EndpointChangeDto {
  @ApiProperty({ example: 'GET' }) method!: string;
  @ApiProperty({ example: '/pets/{petId}' }) path!: string;

  @ApiPropertyOptional({
    description: 'For `changed`: which fields differ.',
    enum: [...CHANGE_FIELDS],
    isArray: true,
  })
  fields?: string[];

  static from(change: EndpointChange): EndpointChangeDto {
    return { method: change.method, path: change.path, ...(change.fields ? { fields: change.fields } : {}) };
  }
}

/** Endpoints keyed by METHOD + path template, against the version that was current before. */
export class ChangelogDto {
  @ApiProperty({ type: [EndpointChangeDto] }) added!: EndpointChangeDto[];
  @ApiProperty({ type: [EndpointChangeDto] }) removed!: EndpointChangeDto[];
  @ApiProperty({ type: [EndpointChangeDto] }) changed!: EndpointChangeDto[];

  static from(changelog: VersionChangelog): ChangelogDto {
    return {
      added: changelog.added.map((c) => EndpointChangeDto.from(c)),
      removed: changelog.removed.map((c) => EndpointChangeDto.from(c)),
      changed: changelog.changed.map((c) => EndpointChangeDto.from(c)),
    };
  }
}

export class ApiVersionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) apiId!: string;
  @ApiProperty({ description: '1, 2, 3… per API.', example: 1 }) number!: number;
  @ApiProperty({ description: "The document's `info.version`.", example: '1.0.0' }) label!: string;
  @ApiProperty({ enum: SOURCE_FORMATS }) sourceFormat!: string;

  @ApiProperty({
    enum: VERSION_STATUSES,
    description:
      "draft: imported, not published; current: the API's current version; superseded: published before, replaced since.",
  })
  status!: string;

  @ApiProperty() endpointCount!: number;

  @ApiProperty({
    type: ChangelogDto,
    nullable: true,
    description: 'Recorded when the version was published; null for a draft.',
  })
  changelog!: ChangelogDto | null;

  @ApiProperty({ nullable: true, type: String }) publishedAt!: string | null;
  @ApiProperty() createdAt!: string;

  static from(version: VersionView): ApiVersionDto {
    return {
      id: version.id,
      apiId: version.apiId,
      number: version.number,
      label: version.label,
      sourceFormat: version.sourceFormat,
      status: version.status,
      endpointCount: version.endpointCount,
      changelog: version.changelog ? ChangelogDto.from(version.changelog) : null,
      publishedAt: version.publishedAt ? version.publishedAt.toISOString() : null,
      createdAt: version.createdAt.toISOString(),
    };
  }
}

export class ImportedApiVersionDto extends ApiVersionDto {
  @ApiProperty({
    type: ChangelogDto,
    description:
      'What publishing this version now would record, against the current version (everything is added when there is none).',
  })
  changelogPreview!: ChangelogDto;

  @ApiProperty({
    type: [String],
    description: "The parser's warnings and where stored schemas were cut to the size limits.",
  })
  warnings!: string[];

  static fromImport(result: ImportResult): ImportedApiVersionDto {
    return {
      ...ApiVersionDto.from(result.version),
      changelogPreview: ChangelogDto.from(result.changelogPreview),
      warnings: result.warnings,
    };
  }
}

export class ApiEndpointDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'GET' }) method!: string;
  @ApiProperty({ example: '/pets/{petId}' }) path!: string;
  @ApiProperty({ nullable: true, type: String }) operationId!: string | null;
  @ApiProperty({ nullable: true, type: String }) summary!: string | null;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty() deprecated!: boolean;

  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description:
      'Path-level and operation parameters merged (dereferenced), sorted by `in` then name. Schemas deeper or larger than the storage limits end in {"x-portico-truncated": "depth" | "size"}; circular references stay `$ref`s.',
  })
  parameters!: unknown[];

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The dereferenced request body (OpenAPI 3 shape).',
  })
  requestBody!: Record<string, unknown> | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Dereferenced responses by status code, with schemas and examples.',
  })
  responses!: Record<string, unknown>;

  static from(endpoint: ApiEndpointEntity): ApiEndpointDto {
    return {
      id: endpoint.id,
      method: endpoint.method,
      path: endpoint.path,
      operationId: endpoint.operationId,
      summary: endpoint.summary,
      description: endpoint.description,
      tags: endpoint.tags,
      deprecated: endpoint.deprecated,
      parameters: endpoint.parameters,
      requestBody: endpoint.requestBody,
      responses: endpoint.responses,
    };
  }
}

export class ApiVersionDetailDto extends ApiVersionDto {
  @ApiProperty({ type: [ApiEndpointDto] }) endpoints!: ApiEndpointDto[];

  static fromDetail(detail: VersionDetail): ApiVersionDetailDto {
    return { ...ApiVersionDto.from(detail), endpoints: detail.endpoints.map((e) => ApiEndpointDto.from(e)) };
  }
}

export class OpenApiDocumentQueryDto {
  @ApiPropertyOptional({ enum: ['json', 'yaml'], default: 'json' })
  @IsOptional()
  @IsIn(['json', 'yaml'])
  format?: 'json' | 'yaml';
}
