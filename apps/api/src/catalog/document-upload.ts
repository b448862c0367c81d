import { type DocumentInput, OPENAPI_IMPORT_LIMITS } from '@app/catalog';
import { AppError, validationFailed } from '@app/common';
import {
  BadRequestException,
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  PayloadTooLargeException,
} from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage } from 'node:http';
import { catchError, type Observable, throwError } from 'rxjs';

/**
 * How an OpenAPI document reaches POST /v1/apis/:id/versions: the document itself as
 * `application/json`, YAML text as `application/yaml` / `text/yaml` / `application/x-yaml`, or a
 * multipart upload with a `document` file field. The route has its own body parser, larger than
 * the api's 1 MB default, which only buffers the text: JSON and YAML alike are parsed by the
 * importer, in its child process, after the session guard and the owner check (a 12 MB JSON body
 * parsed here would hold the api's event loop, and be parsed for callers the guard then refuses).
 */
const UPLOAD_PATH = /^\/v1\/apis\/[^/?#]+\/versions\/?(?:[?#]|$)/;
const YAML_TYPES = new Set([
  'application/yaml',
  'text/yaml',
  'application/x-yaml',
  'text/x-yaml',
  'application/vnd.oai.openapi',
]);

export const DOCUMENT_FIELD = 'document';

/** `application/json` from `Application/JSON; charset=utf-8`. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

function isJsonMedia(media: string): boolean {
  return media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'));
}

function isUpload(req: IncomingMessage): boolean {
  return req.method === 'POST' && UPLOAD_PATH.test(req.url ?? '');
}

/** Registers the route's text parser for JSON and YAML documents; call before the api's general body parsers. */
export function useOpenApiUploadParsers(app: NestExpressApplication): void {
  app.useBodyParser('text', {
    limit: OPENAPI_IMPORT_LIMITS.maxDocumentBytes,
    type: (req: IncomingMessage) => {
      const media = mediaTypeOf(req.headers['content-type']);
      return isUpload(req) && (isJsonMedia(media) || YAML_TYPES.has(media));
    },
  });
}

/** What multer hands the route for the `document` field (memory storage). */
export interface UploadedDocumentFile {
  buffer: Buffer;
  size: number;
  originalname: string;
  mimetype: string;
}

/** multer's limits for the `document` field: one file, bounded, a few small text fields at most. */
export const DOCUMENT_UPLOAD_LIMITS = {
  limits: { fileSize: OPENAPI_IMPORT_LIMITS.maxDocumentBytes, files: 1, fields: 5, fieldSize: 64 * 1024 },
};

/** The importer's input from whichever form the request used. */
export function documentInputFrom(
  contentType: string | undefined,
  body: unknown,
  file: UploadedDocumentFile | undefined,
): DocumentInput {
  const media = mediaTypeOf(contentType);
  if (media === 'multipart/form-data') {
    if (!file)
      throw validationFailed(
        DOCUMENT_FIELD,
        'attach the OpenAPI document (JSON or YAML) as a file field named "document"',
      );
    return { kind: 'text', text: file.buffer.toString('utf8'), syntax: 'auto' };
  }
  if (isJsonMedia(media) || YAML_TYPES.has(media)) {
    if (typeof body !== 'string')
      throw validationFailed('body', 'send the OpenAPI document as the request body');
    return { kind: 'text', text: body, syntax: isJsonMedia(media) ? 'json' : 'auto' };
  }
  throw new AppError(
    'unsupported_media_type',
    'Send the OpenAPI document as application/json, as YAML (application/yaml or text/yaml), or as multipart/form-data with a file field named "document".',
  );
}

/** Turns multer's errors (raised inside FileInterceptor) into the error contract, naming the limit. */
@Injectable()
export class DocumentUploadErrorsInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (error instanceof PayloadTooLargeException) {
          const megabytes = OPENAPI_IMPORT_LIMITS.maxDocumentBytes / (1024 * 1024);
          return throwError(
            () =>
              new AppError(
                'payload_too_large',
                `OpenAPI documents are limited to ${megabytes} MB. Send a smaller document.`,
                {
                  limitBytes: OPENAPI_IMPORT_LIMITS.maxDocumentBytes,
                },
              ),
          );
        }
        if (error instanceof BadRequestException) {
          return throwError(() =>
            validationFailed(DOCUMENT_FIELD, `the multipart upload was refused: ${error.message}`),
          );
        }
        return throwError(() => error);
      }),
    );
  }
}
