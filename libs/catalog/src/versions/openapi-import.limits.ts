/**
 * Bounds of an OpenAPI import. An uploaded document is untrusted input: every stage is bounded in
 * size, depth or time, and the whole import runs in a child process with a hard memory and time
 * limit (`ImportProcesses`, `CATALOG_IMPORT_MEMORY_MB`, `CATALOG_IMPORT_TIMEOUT_SECONDS`).
 */
export const OPENAPI_IMPORT_LIMITS = {
  /** Largest document accepted in any form (JSON body, YAML body or multipart file): 20 MiB. */
  maxDocumentBytes: 20 * 1024 * 1024,
  /**
   * Largest YAML document: 8 MiB. The `yaml` parser needs about a second per MiB (a 10 MiB document
   * takes ~11 s and ~450 MB); JSON parses ~30× faster, so large documents should be sent as JSON.
   */
  maxYamlBytes: 8 * 1024 * 1024,
  /** Deepest object/array nesting accepted in the document itself (the parsers recurse). */
  maxNestingDepth: 200,
  /**
   * Values the document may hold once its `$ref`s are expanded, which is what the parser's
   * (synchronous) validator walks: ~3 µs each on one core. GitHub's REST description, one of the
   * largest public APIs, expands to ~2,000,000; a few KB of doubly-referenced schemas can expand to
   * billions, so this bounds validation time (~25 s at the limit on an idle core).
   */
  maxExpandedValues: 8_000_000,
  /** Per-stage time limit of the parser's dereferencing (the validator itself is bounded above). */
  parserTimeoutMs: 60_000,
  /** Stored per-endpoint JSON (parameters, request body, responses): nesting deeper than this is cut. */
  maxStoredDepth: 24,
  /**
   * Size budget of the stored JSON of one endpoint, in units: every value costs 1, a string 1 more
   * per 64 characters. ~16k units is ~1 MB at worst; what does not fit is cut with a marker.
   */
  maxStoredUnitsPerEndpoint: 16_000,
  /** Strings in stored JSON and endpoint descriptions are clipped to this many characters. */
  maxStoredStringLength: 20_000,
  /** Imports running at once in one process (each is CPU-bound and can take hundreds of MB). */
  maxConcurrentImports: 1,
  /** An import process left idle this long is stopped (its memory returned); the next import starts one (~1.3 s). */
  processIdleMs: 60_000,
  /** Imports waiting for a slot before new ones are turned away with 503 + Retry-After. */
  maxQueuedImports: 4,
} as const;

/** Marker left where stored JSON was cut: `{ "x-portico-truncated": "depth" | "size" }`. */
export const TRUNCATED_MARKER_KEY = 'x-portico-truncated';

export function formatMegabytes(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
}
