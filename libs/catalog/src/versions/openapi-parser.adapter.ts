import { dereference, validate, type ParserOptions, type ValidationResult } from '@readme/openapi-parser';
import { OPENAPI_IMPORT_LIMITS } from './openapi-import.limits';

/**
 * The one place that calls @readme/openapi-parser, always with remote resolution off: only
 * internal `#/…` references resolve; file and http `$ref`s are never read or fetched (SSRF).
 * Circular references are left as `$ref`s (`circular: 'ignore'`), so the result is a finite tree
 * (a DAG: shared components are the same object).
 *
 * The parser dereferences the object it is given in place, so callers pass a copy.
 */
const PARSER_OPTIONS: ParserOptions = {
  resolve: { external: false, file: false },
  dereference: { circular: 'ignore' },
  timeoutMs: OPENAPI_IMPORT_LIMITS.parserTimeoutMs,
  validate: { errors: { colorize: false } },
};

export function validateWithParser(copy: Record<string, unknown>): Promise<ValidationResult> {
  return validate(copy as Parameters<typeof validate>[0], PARSER_OPTIONS);
}

export async function dereferenceWithParser(copy: Record<string, unknown>): Promise<Record<string, unknown>> {
  return (await dereference(copy as Parameters<typeof dereference>[0], PARSER_OPTIONS)) as unknown as Record<string, unknown>;
}

/** A deep copy of a JSON value (the parsed upload holds nothing JSON cannot express). */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
