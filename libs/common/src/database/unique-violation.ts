import { QueryFailedError } from 'typeorm';

interface PgDriverError {
  code?: string;
  constraint?: string;
}

/** True when `error` is PostgreSQL's unique_violation (optionally on the named constraint). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as PgDriverError;
  return driverError.code === '23505' && (constraint === undefined || driverError.constraint === constraint);
}
