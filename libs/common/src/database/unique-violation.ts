import { QueryFailedError } from 'typeorm';

interface PgDriverError {
  code?: string;
  constraint?: string;
}

/**
 * True when `error` is PostgreSQL's unique_violation (optionally on the named constraint): from a
 * TypeORM query, or from node-postgres itself (a statement run on the driver's client).
 */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const driverError = (error instanceof QueryFailedError ? error.driverError : error) as PgDriverError | null;
  return (
    typeof driverError === 'object' &&
    driverError !== null &&
    driverError.code === '23505' &&
    (constraint === undefined || driverError.constraint === constraint)
  );
}
