import { compareCodeUnits } from '@app/common';
import { boundedJson, storableString } from './bounded-json';
import type { DocumentProblem } from './openapi-import.errors';
import { OPENAPI_IMPORT_LIMITS } from './openapi-import.limits';
import { isPlainObject, parsePointer, toPointer, valueAt } from './json-pointer';

/** One operation of an imported document, ready to store as an `api_endpoints` row. */
export interface ExtractedEndpoint {
  /** Upper case. */
  method: string;
  /** The path template exactly as in the document, e.g. `/pets/{petId}`. */
  path: string;
  operationId: string | null;
  summary: string | null;
  description: string | null;
  tags: string[];
  deprecated: boolean;
  /** Path-level parameters merged with the operation's (the operation's win), sorted by `in` then name. */
  parameters: unknown[];
  requestBody: Record<string, unknown> | null;
  responses: Record<string, unknown>;
}

export interface Extraction {
  endpoints: ExtractedEndpoint[];
  /** Endpoints whose stored JSON was cut to the limits (depth or size). */
  truncatedEndpoints: number;
  problems: DocumentProblem[];
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Column sizes of api_endpoints. */
const MAX_PATH = 1024;
const MAX_OPERATION_ID = 200;
const MAX_SUMMARY = 500;
const MAX_TAG = 100;
const MAX_TAGS = 50;

const PARAMETER_ORDER: Record<string, number> = { path: 0, query: 1, header: 2, cookie: 3 };

/** Resolves a `$ref` the dereferencer left in place (a circular one) one level, or returns the node. */
function resolveOnce(document: Record<string, unknown>, node: unknown): unknown {
  if (isPlainObject(node) && typeof node.$ref === 'string' && node.$ref.startsWith('#')) {
    return valueAt(document, parsePointer(node.$ref)) ?? node;
  }
  return node;
}

function optionalText(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.trim() !== '' ? storableString(value, max) : null;
}

function parameterKey(parameter: unknown): string | null {
  return isPlainObject(parameter) && typeof parameter.name === 'string' && typeof parameter.in === 'string'
    ? `${parameter.in}\u0000${parameter.name}`
    : null;
}

function mergeParameters(
  document: Record<string, unknown>,
  pathLevel: unknown,
  operationLevel: unknown,
): unknown[] {
  const merged = new Map<string, unknown>();
  const unnamed: unknown[] = [];
  for (const list of [pathLevel, operationLevel]) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const parameter = resolveOnce(document, raw);
      const key = parameterKey(parameter);
      if (key === null) unnamed.push(parameter);
      else merged.set(key, parameter);
    }
  }
  const named = [...merged.values()].sort((a, b) => {
    const left = a as { in: string; name: string };
    const right = b as { in: string; name: string };
    const rank = (PARAMETER_ORDER[left.in] ?? 9) - (PARAMETER_ORDER[right.in] ?? 9);
    return rank !== 0 ? rank : compareCodeUnits(left.name, right.name);
  });
  return [...named, ...unnamed];
}

/**
 * Every operation of a dereferenced OpenAPI 3.x document (Swagger 2.0 is converted first), with
 * its parameters, request body and responses copied within the storage bounds.
 */
export function extractEndpoints(document: Record<string, unknown>): Extraction {
  const endpoints: ExtractedEndpoint[] = [];
  const problems: DocumentProblem[] = [];
  let truncatedEndpoints = 0;
  const paths = isPlainObject(document.paths) ? document.paths : {};
  for (const [path, rawItem] of Object.entries(paths)) {
    const item = resolveOnce(document, rawItem);
    if (!isPlainObject(item)) continue;
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!isPlainObject(operation)) continue;
      if (path.length > MAX_PATH) {
        problems.push({
          pointer: toPointer(['paths', path]),
          message: `path templates are limited to ${MAX_PATH} characters`,
        });
        break;
      }
      const parameters = mergeParameters(document, item.parameters, operation.parameters);
      const requestBody = resolveOnce(document, operation.requestBody);
      const responses = isPlainObject(operation.responses) ? operation.responses : {};
      const bounded = boundedJson([parameters, isPlainObject(requestBody) ? requestBody : null, responses], {
        maxDepth: OPENAPI_IMPORT_LIMITS.maxStoredDepth,
        maxUnits: OPENAPI_IMPORT_LIMITS.maxStoredUnitsPerEndpoint,
        maxStringLength: OPENAPI_IMPORT_LIMITS.maxStoredStringLength,
      });
      if (bounded.truncated) truncatedEndpoints += 1;
      const [storedParameters, storedRequestBody, storedResponses] = bounded.values;
      const tags = Array.isArray(operation.tags)
        ? [
            ...new Set(
              operation.tags
                .filter((tag): tag is string => typeof tag === 'string')
                .map((tag) => storableString(tag, MAX_TAG)),
            ),
          ].slice(0, MAX_TAGS)
        : [];
      endpoints.push({
        method: method.toUpperCase(),
        path: storableString(path, MAX_PATH),
        operationId: optionalText(operation.operationId, MAX_OPERATION_ID),
        summary: optionalText(operation.summary ?? item.summary, MAX_SUMMARY),
        description: optionalText(
          operation.description ?? item.description,
          OPENAPI_IMPORT_LIMITS.maxStoredStringLength,
        ),
        tags,
        deprecated: operation.deprecated === true,
        parameters: storedParameters as unknown[],
        requestBody: (storedRequestBody as Record<string, unknown> | null) ?? null,
        responses: storedResponses as Record<string, unknown>,
      });
    }
  }
  return { endpoints, truncatedEndpoints, problems };
}
