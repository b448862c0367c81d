import { convertObj } from 'swagger2openapi';
import { storableString } from './bounded-json';
import { extractEndpoints, type ExtractedEndpoint } from './endpoint-extraction';
import { invalidDocument } from './openapi-import.errors';
import { OPENAPI_IMPORT_LIMITS } from './openapi-import.limits';
import { readDocument, type DocumentInput, type SourceFormat } from './openapi-document.reader';
import { cloneJson, dereferenceWithParser } from './openapi-parser.adapter';
import { validateDocument } from './openapi-validation';
import { expandedSize } from './reference-expansion';

export interface ImportTimings {
  /** Text → object (0 for a JSON body the HTTP layer already parsed) plus the reference, depth and expansion checks. */
  parseMs: number;
  validateMs: number;
  /** Swagger 2.0 → OpenAPI 3.0 (0 otherwise). */
  convertMs: number;
  dereferenceMs: number;
  extractMs: number;
}

/** A valid document taken apart, not yet stored. */
export interface ImportedDocument {
  sourceFormat: SourceFormat;
  /** `info.version`. */
  label: string;
  /** The document as uploaded (parsed, not dereferenced, not converted). */
  document: Record<string, unknown>;
  endpoints: ExtractedEndpoint[];
  warnings: string[];
  timings: ImportTimings;
}

const MAX_LABEL = 100;
const MAX_WARNINGS = 20;

function since(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Reads, validates, converts, dereferences and takes apart an uploaded OpenAPI document. Pure
 * (no database): throws `validation_failed` with JSON pointers, or `payload_too_large`. The api
 * runs it in a child process (`ImportProcesses`, openapi-import.process.ts).
 */
export class OpenApiImporter {
  async import(input: DocumentInput): Promise<ImportedDocument> {
    let start = process.hrtime.bigint();
    const { document, sourceFormat } = readDocument(input);
    const limit = OPENAPI_IMPORT_LIMITS.maxExpandedValues;
    if (expandedSize(document, limit) > limit) {
      throw invalidDocument([
        {
          pointer: '',
          message:
            `the document expands to more than ${limit.toLocaleString('en')} values once its $refs are resolved (schemas referencing ` +
            'schemas that reference others several times multiply); even the largest public APIs stay far below that: reference less, or split the API',
        },
      ]);
    }
    const parseMs = since(start);

    start = process.hrtime.bigint();
    const validation = await validateDocument(document);
    if (validation.problems.length > 0)
      throw invalidDocument(validation.problems, validation.additionalErrors);
    const validateMs = since(start);

    start = process.hrtime.bigint();
    const converted = sourceFormat === 'swagger-2.0' ? await convertSwagger(document) : null;
    const convertMs = converted ? since(start) : 0;

    start = process.hrtime.bigint();
    let dereferenced: Record<string, unknown>;
    try {
      // the parser dereferences in place: it always gets a copy, and the uploaded document stays as it was
      dereferenced = await dereferenceWithParser(converted ?? cloneJson(document));
    } catch (error) {
      throw invalidDocument([
        { pointer: '', message: `references could not be resolved: ${(error as Error).message}` },
      ]);
    }
    const dereferenceMs = since(start);

    start = process.hrtime.bigint();
    const extraction = extractEndpoints(dereferenced);
    if (extraction.problems.length > 0) throw invalidDocument(extraction.problems);
    const extractMs = since(start);

    const warnings = validation.warnings.slice(0, MAX_WARNINGS);
    if (extraction.truncatedEndpoints > 0) {
      warnings.push(
        `${extraction.truncatedEndpoints} endpoint(s) have schemas deeper than ${OPENAPI_IMPORT_LIMITS.maxStoredDepth} levels or larger than the per-endpoint budget: ` +
          'the stored copy is cut there with {"x-portico-truncated": …}; the full document is kept and served as uploaded.',
      );
    }
    if (extraction.endpoints.length === 0)
      warnings.push('The document has no operations: the version has no endpoints.');
    // validated: info.version is a string (Swagger 2.0 and OpenAPI 3.x require it)
    const version = (document.info as { version?: unknown } | undefined)?.version;
    return {
      sourceFormat,
      label: storableString(typeof version === 'string' ? version : JSON.stringify(version ?? ''), MAX_LABEL),
      document,
      endpoints: extraction.endpoints,
      warnings,
      timings: { parseMs, validateMs, convertMs, dereferenceMs, extractMs },
    };
  }
}

/** swagger2openapi with every way of reading anything outside the document switched off. */
async function convertSwagger(document: Record<string, unknown>): Promise<Record<string, unknown>> {
  try {
    const converted = await convertObj(cloneJson(document) as unknown as Parameters<typeof convertObj>[0], {
      patch: true,
      warnOnly: true,
      resolve: false,
      fetch: () => Promise.reject(new Error('remote references are disabled')),
    });
    return converted.openapi as unknown as Record<string, unknown>;
  } catch (error) {
    throw invalidDocument([
      {
        pointer: '',
        message: `the Swagger 2.0 document could not be converted to OpenAPI 3.0: ${(error as Error).message}`,
      },
    ]);
  }
}
