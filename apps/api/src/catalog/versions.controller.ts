import { ApiVersionsService, OPENAPI_IMPORT_LIMITS } from '@app/catalog';
import { Public } from '@app/common';
import type { AuthenticatedSession } from '@app/identity';
import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentSession } from '../http/current-session.decorator';
import { OptionalSession } from '../http/optional-session.decorator';
import { UuidParam } from '../http/uuid-param.pipe';
import {
  DOCUMENT_FIELD,
  DOCUMENT_UPLOAD_LIMITS,
  documentInputFrom,
  DocumentUploadErrorsInterceptor,
  type UploadedDocumentFile,
} from './document-upload';
import {
  ApiVersionDetailDto,
  ApiVersionDto,
  ImportedApiVersionDto,
  OpenApiDocumentQueryDto,
} from './versions.dto';

const MAX_MB = OPENAPI_IMPORT_LIMITS.maxDocumentBytes / (1024 * 1024);
const MAX_YAML_MB = OPENAPI_IMPORT_LIMITS.maxYamlBytes / (1024 * 1024);

/**
 * OpenAPI versions of the signed-in provider's APIs, and the public current document. Another
 * provider's API answers 404 exactly like an unknown id.
 */
@ApiTags('api versions')
@Controller('v1/apis')
export class VersionsController {
  constructor(private readonly versions: ApiVersionsService) {}

  @Post(':id/versions')
  @HttpCode(201)
  @UseInterceptors(DocumentUploadErrorsInterceptor, FileInterceptor(DOCUMENT_FIELD, DOCUMENT_UPLOAD_LIMITS))
  @ApiOperation({
    summary:
      `Import an OpenAPI 3.0 / 3.1 or Swagger 2.0 document as a new draft version (JSON up to ${MAX_MB} MB, YAML up to ${MAX_YAML_MB} MB). ` +
      'Send the document itself as application/json, YAML text as application/yaml or text/yaml, or a multipart/form-data file field "document". ' +
      'Only references inside the document (#/…) are resolved; external ones are refused, never fetched. Publish the version to make it current.',
  })
  @ApiConsumes('application/json', 'application/yaml', 'text/yaml', 'multipart/form-data')
  @ApiBody({
    description: 'The document (JSON object or YAML text), or a multipart form with the file in "document".',
    schema: {
      oneOf: [
        { type: 'object', additionalProperties: true, description: 'The OpenAPI / Swagger document itself.' },
        { type: 'string', description: 'YAML text of the document.' },
        {
          type: 'object',
          properties: { document: { type: 'string', format: 'binary' } },
          required: ['document'],
        },
      ],
    },
  })
  @ApiCreatedResponse({ type: ImportedApiVersionDto })
  @ApiBadRequestResponse({
    description:
      'validation_failed: `errors` lists each problem as {pointer, message}, the pointer being an RFC 6901 JSON pointer into the document.',
  })
  @ApiPayloadTooLargeResponse({
    description:
      'payload_too_large: the document is over the size limit, or importing it needed more memory or time than this server allows one import (`limitBytes`, `limitMegabytes` or `limitSeconds`, named in the detail).',
  })
  async import(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @UploadedFile() file: UploadedDocumentFile | undefined,
  ): Promise<ImportedApiVersionDto> {
    const input = documentInputFrom(contentType, body, file);
    return ImportedApiVersionDto.fromImport(
      await this.versions.importDocument(session.account.id, apiId, input),
    );
  }

  @Get(':id/versions')
  @ApiOperation({ summary: "The API's versions, newest first (the owner's view)." })
  @ApiOkResponse({ type: [ApiVersionDto] })
  async list(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
  ): Promise<ApiVersionDto[]> {
    return (await this.versions.list(session.account.id, apiId)).map((version) =>
      ApiVersionDto.from(version),
    );
  }

  @Get(':id/versions/:versionId')
  @ApiOperation({ summary: 'One version with its endpoints.' })
  @ApiOkResponse({ type: ApiVersionDetailDto })
  async get(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
    @UuidParam('versionId') versionId: string,
  ): Promise<ApiVersionDetailDto> {
    return ApiVersionDetailDto.fromDetail(await this.versions.get(session.account.id, apiId, versionId));
  }

  @Post(':id/versions/:versionId/publish')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Make a draft version current and record its changelog (added / removed / changed endpoints, by METHOD + path) against the version it replaces. ' +
      'Publishing the current version again changes nothing; a superseded version answers 409 (import its document again instead).',
  })
  @ApiOkResponse({ type: ApiVersionDto })
  async publish(
    @CurrentSession() session: AuthenticatedSession,
    @UuidParam('id') apiId: string,
    @UuidParam('versionId') versionId: string,
  ): Promise<ApiVersionDto> {
    return ApiVersionDto.from(await this.versions.publish(session.account.id, apiId, versionId));
  }

  @Get(':slug/openapi')
  @Public()
  @ApiOperation({
    summary:
      'The current OpenAPI document of a published public API, as its provider uploaded it (JSON, or YAML with ?format=yaml). Private APIs: the owner and invited accounts; drafts: the owner only; anyone else gets 404.',
  })
  @ApiProduces('application/json', 'application/yaml')
  @ApiOkResponse({ description: 'The document.', schema: { type: 'object', additionalProperties: true } })
  @ApiNotFoundResponse({
    description: 'not_found: no such API, no published version, or not visible to the caller.',
  })
  async document(
    @OptionalSession() session: AuthenticatedSession | null,
    @Param('slug') slug: string,
    @Query() query: OpenApiDocumentQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    const format = query.format ?? 'json';
    const viewer = session ? { accountId: session.account.id, email: session.account.email } : null;
    const rendered = await this.versions.renderCurrentDocument(slug, viewer, format);
    res.setHeader('Content-Type', rendered.contentType);
    res.setHeader('Content-Disposition', `inline; filename="${slug}-v${rendered.versionNumber}.${format}"`);
    res.setHeader('ETag', `"${rendered.versionId}-${format}"`);
    return rendered.body;
  }
}
