import { randomBytes } from 'node:crypto';
import { MIGRATIONS } from '@migrations';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { FakeMeilisearch } from '../../../test/fakes/meilisearch.fake';
import { ADMIN_DATABASE_URL, databaseUrlFor } from '../../../test/support/test-run';
import { MEILI_SETTINGS, MeilisearchSearchAdapter } from './meilisearch/meilisearch-search.adapter';
import { PostgresSearchAdapter, type PostgresSearchOptions } from './postgres/postgres-search.adapter';
import { describeSearchContract, type ContractSubject } from './testing';

/**
 * The one SearchPort contract (libs/search/src/testing/search-contract.ts), run against:
 * 1. postgres — a scratch database migrated from empty (its own search_documents), always; twice:
 *    with the default facet cache, and with every facet block cached (invalidation under test);
 * 2. meilisearch through the real `meilisearch` client against test/fakes/meilisearch.fake.ts,
 *    always: the adapter's requests, settings, filters, facets, sorts and task waits, offline
 *    (ranking and query-syntax cases are not run against it: a fake does not rank like the engine);
 * 3. a real Meilisearch when MEILI_URL (and MEILI_KEY) are set, on a throwaway index — otherwise
 *    the whole block is reported as skipped, naming the variable to set.
 */

async function postgresSubject(options: PostgresSearchOptions = {}): Promise<ContractSubject> {
  const name = `portico_search_contract_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const dataSource = new DataSource({ type: 'postgres', url: databaseUrlFor(name), migrations: MIGRATIONS, migrationsTableName: 'typeorm_migrations' });
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return {
    port: new PostgresSearchAdapter(dataSource, options),
    async close() {
      await dataSource.destroy();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

describeSearchContract('postgres', { realEngine: true }, () => postgresSubject());
// the same contract with every facet block cached (by default only browsing and broad queries are):
// upserts, removes and sunsets must show in totals and facets at once
describeSearchContract('postgres, every facet block cached', { realEngine: true }, () =>
  postgresSubject({ facetCache: { minMatches: 0 } }),
);

describe('meilisearch adapter against the protocol fake', () => {
  const fake = new FakeMeilisearch();
  let adapter: MeilisearchSearchAdapter;

  beforeAll(async () => {
    adapter = new MeilisearchSearchAdapter({ url: await fake.start(), apiKey: fake.apiKey ?? undefined, indexUid: 'settings-check' });
  });
  afterAll(() => fake.stop());

  it('creates the index and applies searchable, filterable, sortable, ranking and typo settings on prepare, waiting for the tasks', async () => {
    await adapter.prepare();
    const index = fake.indexes.get('settings-check')!;
    expect(index.primaryKey).toBe('id');
    expect(index.settings).toMatchObject(MEILI_SETTINGS);
    expect(fake.requests.filter((r) => r.path.startsWith('/tasks/')).length).toBeGreaterThanOrEqual(2);
  });

  it('fails clearly with a wrong key', async () => {
    const wrong = new MeilisearchSearchAdapter({ url: fake.url, apiKey: 'wrong-key-wrong-key', indexUid: 'settings-check' });
    await expect(wrong.prepare()).rejects.toThrow(/API key is invalid/);
    expect(await wrong.health()).toMatchObject({ engine: 'meilisearch', ok: false });
  });
});

const fakeServer = new FakeMeilisearch();
afterAll(() => fakeServer.stop());
describeSearchContract('meilisearch (real client → test/fakes/meilisearch.fake.ts)', { realEngine: false }, async () => {
  const url = fakeServer.url || (await fakeServer.start());
  return {
    port: new MeilisearchSearchAdapter({ url, apiKey: fakeServer.apiKey ?? undefined, indexUid: 'contract' }),
    close: () => Promise.resolve(),
  };
});

const MEILI_URL = process.env.MEILI_URL;
if (MEILI_URL) {
  describeSearchContract(`meilisearch (real server at ${MEILI_URL})`, { realEngine: true }, async () => {
    const indexUid = `portico-contract-${randomBytes(4).toString('hex')}`;
    const adapter = new MeilisearchSearchAdapter({ url: MEILI_URL, apiKey: process.env.MEILI_KEY, indexUid });
    return {
      port: adapter,
      async close() {
        await fetch(`${MEILI_URL.replace(/\/$/, '')}/indexes/${indexUid}`, {
          method: 'DELETE',
          headers: process.env.MEILI_KEY ? { authorization: `Bearer ${process.env.MEILI_KEY}` } : {},
        });
      },
    };
  });
} else {
  describe('SearchPort contract: meilisearch (real server) — SKIPPED: MEILI_URL is not set (no Meilisearch on this machine); set MEILI_URL and MEILI_KEY to run it', () => {
    it.skip('runs the whole contract against a real Meilisearch', () => undefined);
  });
}
