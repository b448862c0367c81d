import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * libs/search's postgres adapter: the `search_documents` table (generated from
 * SearchDocumentEntity) plus what an entity cannot express, written by hand:
 * - extensions `unaccent` and `pg_trgm` (both in PostgreSQL's contrib, trusted: the database
 *   owner may create them);
 * - `portico_unaccent(text)`: an IMMUTABLE wrapper of unaccent with its dictionary named, so it
 *   can appear in an index expression (unaccent itself is only STABLE);
 * - the text search configuration `portico_search`: english stemming after unaccent, so
 *   "Café" and "cafe" are the same lexeme in documents, queries and ts_headline alike;
 * - the trigger that writes `search_vector` (A name, B summary + tags, C description + category +
 *   provider name) on every insert and update of those columns;
 * - GIN indexes on the vector, on the tags, and a trigram GIN on the folded name (typo fallback,
 *   type-ahead LIKE).
 */
export class SearchDocuments1795870621576 implements MigrationInterface {
  name = 'SearchDocuments1795870621576';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "search_documents" ("id" uuid NOT NULL, "slug" character varying(64) NOT NULL, "name" character varying(100) NOT NULL, "summary" character varying(300) NOT NULL, "description" text NOT NULL DEFAULT '', "tags" text array NOT NULL DEFAULT '{}', "category" character varying(64) NOT NULL, "category_name" character varying(100) NOT NULL, "provider_slug" character varying(64) NOT NULL, "provider_name" character varying(100) NOT NULL, "logo_url" character varying(2048), "visibility" character varying(16) NOT NULL DEFAULT 'public', "status" character varying(24) NOT NULL, "sunset_at" TIMESTAMP WITH TIME ZONE, "published_at" TIMESTAMP WITH TIME ZONE, "pricing" character varying(16), "rating_avg" numeric(3,2), "rating_count" integer NOT NULL DEFAULT '0', "subscribers" integer NOT NULL DEFAULT '0', "calls_30d" bigint NOT NULL DEFAULT '0', "popularity" integer NOT NULL DEFAULT '0', "latency_ms" integer, "success_rate" numeric(5,4), "search_vector" tsvector, "indexed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_search_documents" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_search_documents__category" ON "search_documents" ("category") `);
    await queryRunner.query(`CREATE INDEX "ix_search_documents__popularity" ON "search_documents" ("popularity") `);

    // ---- hand-written: extensions, functions, text search configuration, trigger, GIN indexes ----
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS unaccent`);
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await queryRunner.query(
      `CREATE FUNCTION portico_unaccent(text) RETURNS text
         LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
         AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$`,
    );
    await queryRunner.query(`CREATE TEXT SEARCH CONFIGURATION portico_search (COPY = english)`);
    await queryRunner.query(
      `ALTER TEXT SEARCH CONFIGURATION portico_search
         ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem`,
    );
    await queryRunner.query(
      `CREATE FUNCTION search_documents_vector() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         NEW.search_vector :=
           setweight(to_tsvector('portico_search', coalesce(NEW.name, '')), 'A') ||
           setweight(to_tsvector('portico_search', coalesce(NEW.summary, '') || ' ' || array_to_string(NEW.tags, ' ')), 'B') ||
           setweight(to_tsvector('portico_search', coalesce(NEW.description, '') || ' ' || coalesce(NEW.category_name, '') || ' ' || coalesce(NEW.provider_name, '')), 'C');
         RETURN NEW;
       END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER tg_search_documents__vector
         BEFORE INSERT OR UPDATE OF name, summary, tags, description, category_name, provider_name ON search_documents
         FOR EACH ROW EXECUTE FUNCTION search_documents_vector()`,
    );
    await queryRunner.query(`CREATE INDEX "ix_search_documents__search_vector" ON "search_documents" USING gin ("search_vector")`);
    await queryRunner.query(`CREATE INDEX "ix_search_documents__tags" ON "search_documents" USING gin ("tags")`);
    await queryRunner.query(
      `CREATE INDEX "ix_search_documents__name_trgm" ON "search_documents" USING gin (portico_unaccent(lower("name")) gin_trgm_ops)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_search_documents__name_trgm"`);
    await queryRunner.query(`DROP INDEX "public"."ix_search_documents__tags"`);
    await queryRunner.query(`DROP INDEX "public"."ix_search_documents__search_vector"`);
    await queryRunner.query(`DROP TRIGGER tg_search_documents__vector ON search_documents`);
    await queryRunner.query(`DROP FUNCTION search_documents_vector()`);
    await queryRunner.query(`DROP TEXT SEARCH CONFIGURATION portico_search`);
    await queryRunner.query(`DROP FUNCTION portico_unaccent(text)`);
    await queryRunner.query(`DROP EXTENSION IF EXISTS pg_trgm`);
    await queryRunner.query(`DROP EXTENSION IF EXISTS unaccent`);
    await queryRunner.query(`DROP INDEX "public"."ix_search_documents__popularity"`);
    await queryRunner.query(`DROP INDEX "public"."ix_search_documents__category"`);
    await queryRunner.query(`DROP TABLE "search_documents"`);
  }
}
