import { AppError } from './app-error';
import { ERROR_CODES, ERROR_TYPE_BASE, type ErrorCode } from './error-codes';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  [extension: string]: unknown;
}

/** Builds the DESIGN §4 error document. Extensions never overwrite the standard members. */
export function toProblem(error: AppError, requestId: string): ProblemDocument {
  const { title, status } = ERROR_CODES[error.code];
  return {
    ...error.extensions,
    type: `${ERROR_TYPE_BASE}${error.code}`,
    title,
    status,
    detail: error.detail,
    code: error.code,
    requestId,
  };
}

/** The generic 500: the caller gets the request id to quote, never the cause. */
export function internalProblem(requestId: string): ProblemDocument {
  return toProblem(
    new AppError(
      'internal_error',
      `Something went wrong on our side. Quote request id ${requestId} if you contact support.`,
    ),
    requestId,
  );
}
