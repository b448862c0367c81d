import { BooleanEnv } from '@app/common';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, Max, Min } from 'class-validator';

/** Variables owned by libs/catalog. */
export class CatalogEnv {
  /** When true, publishing a public listing waits for an admin's approval. */
  @BooleanEnv()
  @IsBoolean()
  CATALOG_REQUIRE_APPROVAL = false;

  /**
   * Heap limit (`--max-old-space-size`) of the child process importing one OpenAPI document; past it
   * the import is answered 413. GitHub's REST description (12 MB, 1,223 operations) imports within
   * 192 MB; the same document with one error needs 513–768 MB (the parser's error printer).
   */
  @Type(() => Number)
  @IsInt({ message: 'CATALOG_IMPORT_MEMORY_MB must be a whole number of megabytes (64–16384)' })
  @Min(64, { message: 'CATALOG_IMPORT_MEMORY_MB must be at least 64' })
  @Max(16_384, { message: 'CATALOG_IMPORT_MEMORY_MB must be at most 16384' })
  CATALOG_IMPORT_MEMORY_MB = 1536;

  /** How long one OpenAPI import may run before its process is killed and the upload answered 413 (GitHub's description: ~4–10 s). */
  @Type(() => Number)
  @IsInt({ message: 'CATALOG_IMPORT_TIMEOUT_SECONDS must be a whole number of seconds (1–3600)' })
  @Min(1, { message: 'CATALOG_IMPORT_TIMEOUT_SECONDS must be at least 1' })
  @Max(3600, { message: 'CATALOG_IMPORT_TIMEOUT_SECONDS must be at most 3600' })
  CATALOG_IMPORT_TIMEOUT_SECONDS = 120;
}
