import { ERROR_CODES, type ErrorCode } from './error-codes';

/** Extension members rendered next to the standard problem fields (e.g. `field`, `retryAfter`). */
export type ProblemExtensions = Record<string, unknown>;

/**
 * The one error family of Portico. Libraries throw it (never Nest's HttpException); each HTTP
 * app's filter renders it as RFC 9457 problem+json. `detail` must say what happened and what to do.
 */
export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extensions: ProblemExtensions = {},
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'AppError';
    this.status = ERROR_CODES[code].status;
  }
}

export function notFound(what: string): AppError {
  return new AppError('not_found', `${what} was not found.`);
}

export function validationFailed(field: string, message: string): AppError {
  return new AppError('validation_failed', `${field}: ${message}`, {
    errors: [{ field, message }],
  });
}

export function conflict(detail: string, extensions: ProblemExtensions = {}): AppError {
  return new AppError('conflict', detail, extensions);
}

export function forbidden(detail: string): AppError {
  return new AppError('forbidden', detail);
}

export function rateLimited(detail: string, retryAfterSeconds: number): AppError {
  const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
  return new AppError('rate_limit_exceeded', detail, { retryAfter }, { 'Retry-After': String(retryAfter) });
}
