import { AppError } from '../errors/app-error';
import { internalProblem, PROBLEM_CONTENT_TYPE, toProblem, type ProblemDocument } from '../errors/problem';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';

interface BodyParserError {
  type?: string;
  limit?: number;
  status?: number;
  expose?: boolean;
}

/** Maps what Express/Nest raise by themselves (unknown route, bad JSON, huge body) onto our codes. */
function fromFramework(exception: unknown, req: Request): AppError | null {
  const parserError = exception as BodyParserError;
  if (parserError?.type === 'entity.parse.failed') {
    return new AppError('malformed_body', 'The request body is not valid JSON. Check for trailing commas and unquoted keys.');
  }
  if (parserError?.type === 'entity.too.large') {
    // body-parser reports the limit of the parser that refused (1 MB in general, more on upload routes)
    const limit = typeof parserError.limit === 'number' ? parserError.limit : 1024 * 1024;
    const megabytes = Math.round((limit / (1024 * 1024)) * 10) / 10;
    return new AppError(
      'payload_too_large',
      `The request body is larger than this endpoint accepts (${megabytes} MB).`,
      { limitBytes: limit },
    );
  }
  if (parserError?.type === 'encoding.unsupported' || parserError?.type === 'charset.unsupported') {
    return new AppError('unsupported_media_type', 'Send the body as UTF-8 JSON.');
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 404) return new AppError('route_not_found', `There is no route ${req.method} ${req.path}. See /docs for the API reference.`);
    if (status === 405) return new AppError('method_not_allowed', `${req.method} is not allowed on ${req.path}.`);
    if (status === 413) return new AppError('payload_too_large', 'The request body is too large.');
    if (status === 415) return new AppError('unsupported_media_type', 'Send the body as application/json.');
    if (status === 401) return new AppError('unauthenticated', 'Log in first.');
    if (status === 403) return new AppError('forbidden', 'You are not allowed to do this.');
    if (status === 400) return new AppError('validation_failed', exception.message);
  }
  return null;
}

/** The exception filter of each Nest HTTP app (api, worker): everything leaves as DESIGN §4 problem+json with the request id. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request & { id?: string }>();
    const res = ctx.getResponse<Response>();
    const requestId = String(req.id ?? res.getHeader('X-Request-Id') ?? 'unknown');
    const error = exception instanceof AppError ? exception : fromFramework(exception, req);
    let body: ProblemDocument;
    if (error) {
      body = toProblem(error, requestId);
      for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    } else {
      this.logger.error({ err: exception, requestId }, 'unhandled error');
      body = internalProblem(requestId);
    }
    if (res.headersSent) return;
    res.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  }
}
