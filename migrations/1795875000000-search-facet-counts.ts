import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A document the pre-aggregated counts hold: searchable now and for as long as nothing changes. */
const COUNTED = `visibility = 'public' AND status IN ('published', 'deprecated') AND sunset_at IS NULL`;

/** +1 / -1 per counted document of a transition table: one `''` row, one row per distinct tag. */
const deltas = (table: string, sign: string): string => `
  SELECT category, coalesce(pricing, '') AS pricing, coalesce(floor(rating_avg)::smallint, 0) AS rating_floor,
         '' AS tag, ${sign}1 AS delta
    FROM ${table} WHERE ${COUNTED}
  UNION ALL
  SELECT r.category, coalesce(r.pricing, ''), coalesce(floor(r.rating_avg)::smallint, 0), t.tag, ${sign}1
    FROM ${table} r CROSS JOIN LATERAL (SELECT DISTINCT u.tag FROM unnest(r.tags) AS u(tag) WHERE u.tag <> '') t
   WHERE r.${COUNTED.replace(/ AND /g, ' AND r.')}`;

const apply = (sources: string): string => `
  INSERT INTO search_facet_counts (category, pricing, rating_floor, tag, n)
  SELECT category, pricing, rating_floor, tag, sum(delta)::int FROM (${sources}) s
   GROUP BY category, pricing, rating_floor, tag HAVING sum(delta) <> 0
   ORDER BY category, pricing, rating_floor, tag
  ON CONFLICT (category, pricing, rating_floor, tag) DO UPDATE SET n = search_facet_counts.n + EXCLUDED.n`;

/**
 * libs/search's postgres adapter (docs/benchmarks.md "Search", docs/adr/0005-search-facet-cache.md):
 *
 * - `search_facet_counts`: how many searchable documents without a sunset each (category, pricing,
 *   floor(rating), tag) holds — tag `''` counts documents, any other tag the documents carrying it
 *   (each once). Maintained in the writing statement by AFTER … FOR EACH STATEMENT triggers over
 *   the transition tables, so a text-less browse sums ≈ 250 + a few thousand rows instead of
 *   scanning every listing. Documents with a sunset are left out: whether they count depends on
 *   the search's `now`, so the adapter counts them live (few; partial index below).
 * - The version of `search_index_state` moves only when a statement changed rows: the BEFORE
 *   statement trigger now only locks the version row (first lock of every writing statement, as
 *   before: writers of search documents cannot deadlock over it), and the AFTER triggers bump it
 *   when their transition table is not empty. An upsert whose rows are all unchanged (the adapter
 *   skips them with `WHERE … IS DISTINCT FROM`) or a delete of absent ids leaves cached facet
 *   blocks valid. TRUNCATE still bumps (and empties the counts).
 */
export class SearchFacetCounts1795875000000 implements MigrationInterface {
  name = 'SearchFacetCounts1795875000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "search_facet_counts" ("category" character varying(64) NOT NULL, "pricing" character varying(16) NOT NULL,
         "rating_floor" smallint NOT NULL, "tag" text NOT NULL, "n" integer NOT NULL,
         CONSTRAINT "pk_search_facet_counts" PRIMARY KEY ("category", "pricing", "rating_floor", "tag"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_search_documents__sunset" ON "search_documents" ("sunset_at") WHERE sunset_at IS NOT NULL`,
    );

    await queryRunner.query(`DROP TRIGGER tg_search_documents__version ON search_documents`);
    await queryRunner.query(`DROP FUNCTION search_index_bump_version()`);
    await queryRunner.query(
      `CREATE FUNCTION search_index_lock_version() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'TRUNCATE' THEN
           UPDATE search_index_state SET version = version + 1 WHERE id = 1;
           DELETE FROM search_facet_counts;
         ELSE
           PERFORM 1 FROM search_index_state WHERE id = 1 FOR UPDATE;
         END IF;
         RETURN NULL;
       END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER tg_search_documents__version
         BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON search_documents
         FOR EACH STATEMENT EXECUTE FUNCTION search_index_lock_version()`,
    );
    await queryRunner.query(
      `CREATE FUNCTION search_documents_changed() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'INSERT' THEN
           IF NOT EXISTS (SELECT 1 FROM new_rows) THEN RETURN NULL; END IF;
           ${apply(deltas('new_rows', '+'))};
         ELSIF TG_OP = 'UPDATE' THEN
           IF NOT EXISTS (SELECT 1 FROM new_rows) THEN RETURN NULL; END IF;
           ${apply(`${deltas('new_rows', '+')} UNION ALL ${deltas('old_rows', '-')}`)};
         ELSE
           IF NOT EXISTS (SELECT 1 FROM old_rows) THEN RETURN NULL; END IF;
           ${apply(deltas('old_rows', '-'))};
         END IF;
         UPDATE search_index_state SET version = version + 1 WHERE id = 1;
         RETURN NULL;
       END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER tg_search_documents__inserted AFTER INSERT ON search_documents
         REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_documents_changed()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER tg_search_documents__updated AFTER UPDATE ON search_documents
         REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_documents_changed()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER tg_search_documents__deleted AFTER DELETE ON search_documents
         REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search_documents_changed()`,
    );

    await queryRunner.query(`LOCK TABLE search_documents IN SHARE MODE`);
    await queryRunner.query(`${apply(deltas('search_documents', '+'))}`);
    await queryRunner.query(`UPDATE search_index_state SET version = version + 1 WHERE id = 1`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER tg_search_documents__deleted ON search_documents`);
    await queryRunner.query(`DROP TRIGGER tg_search_documents__updated ON search_documents`);
    await queryRunner.query(`DROP TRIGGER tg_search_documents__inserted ON search_documents`);
    await queryRunner.query(`DROP FUNCTION search_documents_changed()`);
    await queryRunner.query(`DROP TRIGGER tg_search_documents__version ON search_documents`);
    await queryRunner.query(`DROP FUNCTION search_index_lock_version()`);
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
    await queryRunner.query(`DROP INDEX "public"."ix_search_documents__sunset"`);
    await queryRunner.query(`DROP TABLE "search_facet_counts"`);
  }
}
