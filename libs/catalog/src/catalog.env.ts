import { BooleanEnv } from '@app/common';
import { IsBoolean } from 'class-validator';

/** Variables owned by libs/catalog. */
export class CatalogEnv {
  /** When true, publishing a public listing waits for an admin's approval. */
  @BooleanEnv()
  @IsBoolean()
  CATALOG_REQUIRE_APPROVAL = false;
}
