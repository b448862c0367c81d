import { AppError } from '@app/common';
import { formatMegabytes } from './openapi-import.limits';

/** One problem of an uploaded document, located by a JSON pointer into the document as uploaded. */
export interface DocumentProblem {
  /** RFC 6901 pointer (`/paths/~1pets/get/responses`); `''` is the whole document. */
  pointer: string;
  message: string;
  /** For syntax errors: where in the uploaded text (1-based). */
  line?: number;
  column?: number;
}

/** 400 `validation_failed` listing the document's problems (with JSON pointers) in `errors`. */
export function invalidDocument(problems: DocumentProblem[], additionalErrors = 0): AppError {
  const [first] = problems;
  const where = first ? `${first.pointer || '(document)'}: ${first.message}` : 'unknown problem';
  const more = problems.length - 1 + additionalErrors;
  return new AppError(
    'validation_failed',
    `The OpenAPI document is not valid: ${where}${more > 0 ? ` (and ${more} more)` : ''}. ` +
      'Each entry of `errors` locates a problem with a JSON pointer into the document; fix them and upload it again.',
    { errors: problems, ...(additionalErrors > 0 ? { additionalErrors } : {}) },
  );
}

/** 413 `payload_too_large` naming the limit. */
export function documentTooLarge(
  limitBytes: number,
  what = 'OpenAPI documents',
  hint = 'Send a smaller document.',
): AppError {
  return new AppError('payload_too_large', `${what} are limited to ${formatMegabytes(limitBytes)}. ${hint}`, {
    limitBytes,
  });
}
