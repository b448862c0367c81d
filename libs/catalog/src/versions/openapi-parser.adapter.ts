import { dereference, validate, type ParserOptions, type ValidationResult } from '@readme/openapi-parser';
import { OPENAPI_IMPORT_LIMITS } from './openapi-import.limits';

/**
 * The one place that calls @readme/openapi-parser, always with remote resolution off: only
 * internal `#/…` references resolve; file and http `$ref`s are never read or fetched (SSRF).
 * Circular references are left as `$ref`s (`circular: 'ignore'`), so results are finite trees
 * (DAGs: shared components are the same object).
 *
 * The parser dereferences the object it is given in place, so callers pass a copy.
 */
const BASE_OPTIONS: ParserOptions = {
  resolve: { external: false, file: false },
  dereference: { circular: 'ignore' },
  timeoutMs: OPENAPI_IMPORT_LIMITS.parserTimeoutMs,
  validate: { errors: { colorize: false } },
};

/** References to named schemas: `#/components/schemas/…` (OpenAPI 3), `#/definitions/…` (Swagger 2). */
const SCHEMA_REF = /^#\/(?:components\/schemas|definitions)\//;

/**
 * For validation, references to named schemas are put back after the parser resolved them, so
 * the document it validates has parameters, responses and request bodies inline (its own checks
 * need them) but schemas as `$ref`s, each validated once where it is defined. Left expanded,
 * a large document is validated once per use of every schema — and when it is invalid, the
 * parser prints its error frames from a pretty-printed copy of that whole expansion: GitHub's
 * description with one error took 76 s and 3.4 GB that way.
 */
const VALIDATION_OPTIONS: ParserOptions = {
  ...BASE_OPTIONS,
  dereference: {
    circular: 'ignore',
    onDereference: (ref: string, _value: unknown, parent?: object, key?: string) => {
      if (parent && key !== undefined && SCHEMA_REF.test(ref))
        (parent as Record<string, unknown>)[key] = { $ref: ref };
    },
  },
};

export function validateWithParser(copy: Record<string, unknown>): Promise<ValidationResult> {
  return validate(copy as Parameters<typeof validate>[0], VALIDATION_OPTIONS);
}

/** The document exactly as the validator saw it (to map its error frames back to pointers). */
export async function dereferenceAsValidated(
  copy: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  return (await dereference(
    copy as Parameters<typeof dereference>[0],
    VALIDATION_OPTIONS,
  )) as unknown as Record<string, unknown>;
}

/** Every internal reference resolved (circular ones left as `$ref`s). */
export async function dereferenceWithParser(copy: Record<string, unknown>): Promise<Record<string, unknown>> {
  return (await dereference(copy as Parameters<typeof dereference>[0], BASE_OPTIONS)) as unknown as Record<
    string,
    unknown
  >;
}

/** A deep copy of a JSON value (the parsed upload holds nothing JSON cannot express). */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
