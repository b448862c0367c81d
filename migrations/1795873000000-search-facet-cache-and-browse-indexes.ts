import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * libs/search's postgres adapter, issue 7's performance goal (docs/benchmarks.md "Search"):
 * - `search_index_state`: one row whose `version` a statement-level trigger bumps on every write to
 *   `search_documents` (insert, update, delete, truncate) in the writing transaction. The adapter
 *   reads it in the same statement as a page of hits and reuses a cached facet block only while
 *   the version is unchanged (docs/adr/0005-search-facet-cache.md). BEFORE, not AFTER: the row
 *   lock is the first lock a writing statement takes, so two writers cannot deadlock over it;
 * - `name_folded` = portico_unaccent(lower(name)), written by the vector trigger: the exact-name
 *   bonus compares it instead of folding every matched name per query (≈ 2 µs a row), and the
 *   trigram index moves from the expression to the column (the typo fallback's recheck and the
 *   type-ahead read the column instead of folding each candidate again);
 * - one btree per browse sort (popularity, rating, latency, newest) in the exact order the adapter
 *   sorts by, so a page of a text-less browse is an index scan, not a sort of every listing. The
 *   one on (popularity DESC, id) replaces the plain popularity index.
 */
export class SearchFacetCacheAndBrowseIndexes1795873000000 implements MigrationInterface {
  name = 'SearchFacetCacheAndBrowseIndexes1795873000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "search_documents" ADD "name_folded" text`);
    await queryRunner.query(
      `CREATE OR REPLACE FUNCTION search_documents_vector() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         NEW.search_vector :=
           setweight(to_tsvector('portico_search', coalesce(NEW.name, '')), 'A') ||
           setweight(to_tsvector('portico_search', coalesce(NEW.summary, '') || ' ' || array_to_string(NEW.tags, ' ')), 'B') ||
           setweight(to_tsvector('portico_search', coalesce(NEW.description, '') || ' ' || coalesce(NEW.category_name, '') || ' ' || coalesce(NEW.provider_name, '')), 'C');
         NEW.name_folded := portico_unaccent(lower(NEW.name));
         RETURN NEW;
       END $$`,
    );
    await queryRunner.query(`UPDATE "search_documents" SET "name_folded" = portico_unaccent(lower("name"))`);
    await queryRunner.query(`DROP INDEX "public"."ix_search_documents__name_trgm"`);
    await queryRunner.query(
      `CREATE INDEX "ix_search_documents__name_folded_trgm" ON "search_documents" USING gin ("name_folded" gin_trgm_ops)`,
    );

    await queryRunner.query(
      `CREATE TABLE "search_index_state" ("id" smallint NOT NULL DEFAULT 1, "version" bigint NOT NULL DEFAULT 0,
         CONSTRAINT "pk_search_index_state" PRIMARY KEY ("id"), CONSTRAINT "ck_search_index_state__one_row" CHECK ("id" = 1))`,
    );
    await queryRunner.query(`INSERT INTO "search_index_state" ("id", "version") VALUES (1, 0)`);
    await queryRunner.query(
      `CREATE FUNCTION search_index_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         UPDATE search_index_state SET version = version + 1 WHERE id = 1;
         RETURN NULL;
       END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER tg_search_documents__version
         BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON search_documents
         FOR EACH STATEMENT EXECUTE FUNCTION search_index_bump_version()`,
    );

    await queryRunner.query(`DROP INDEX "public"."ix_search_documents__popularity"`);
    await queryRunner.query(
      `CREATE INDEX "ix_search_documents__by_popularity" ON "search_documents" ("popularity" DESC, "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_search_documents__by_rating" ON "search_documents" ("rating_avg" DESC NULLS LAST, "rating_count" DESC, "popularity" DESC, "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_search_documents__by_latency" ON "search_documents" ("latency_ms" ASC NULLS LAST, "popularity" DESC, "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_search_documents__by_newest" ON "search_documents" ("published_at" DESC NULLS LAST, "id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_search_documents__by_newest"`);
    await queryRunner.query(`DROP INDEX "public"."ix_search_documents__by_latency"`);
    await queryRunner.query(`DROP INDEX "public"."ix_search_documents__by_rating"`);
    await queryRunner.query(`DROP INDEX "public"."ix_search_documents__by_popularity"`);
    await queryRunner.query(
      `CREATE INDEX "ix_search_documents__popularity" ON "search_documents" ("popularity") `,
    );

    await queryRunner.query(`DROP TRIGGER tg_search_documents__version ON search_documents`);
    await queryRunner.query(`DROP FUNCTION search_index_bump_version()`);
    await queryRunner.query(`DROP TABLE "search_index_state"`);

    await queryRunner.query(`DROP INDEX "public"."ix_search_documents__name_folded_trgm"`);
    await queryRunner.query(
      `CREATE INDEX "ix_search_documents__name_trgm" ON "search_documents" USING gin (portico_unaccent(lower("name")) gin_trgm_ops)`,
    );
    await queryRunner.query(
      `CREATE OR REPLACE FUNCTION search_documents_vector() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         NEW.search_vector :=
           setweight(to_tsvector('portico_search', coalesce(NEW.name, '')), 'A') ||
           setweight(to_tsvector('portico_search', coalesce(NEW.summary, '') || ' ' || array_to_string(NEW.tags, ' ')), 'B') ||
           setweight(to_tsvector('portico_search', coalesce(NEW.description, '') || ' ' || coalesce(NEW.category_name, '') || ' ' || coalesce(NEW.provider_name, '')), 'C');
         RETURN NEW;
       END $$`,
    );
    await queryRunner.query(`ALTER TABLE "search_documents" DROP COLUMN "name_folded"`);
  }
}
