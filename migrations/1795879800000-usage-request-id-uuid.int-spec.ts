import { createHash, randomUUID } from 'node:crypto';
import { beforeMigration } from '../test/support/migration-scratch';
import { UsageRequestIdUuid1795879800000 } from './1795879800000-usage-request-id-uuid';

/** The UUID spelled by the MD5 of `text`, as PostgreSQL's `md5(text)::uuid` spells it. */
function md5Uuid(text: string): string {
  const hex = createHash('md5').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

describe('UsageRequestIdUuid1795879800000 on PostgreSQL', () => {
  it('keeps every stored request id: a UUID as itself (either case), anything else as the UUID of its MD5; down restores text', async () => {
    await beforeMigration(UsageRequestIdUuid1795879800000, async (runner) => {
      // a gateway id, one in upper case, and an id no Portico gateway minted
      const ids = [randomUUID(), randomUUID().toUpperCase(), 'req-old-42'];
      for (const id of ids)
        await runner.query(
          `INSERT INTO usage_requests (request_id, at, batch_id, consumer_account_id, application_id, key_id, key_prefix,
             method, status, latency_ms, bytes_in, bytes_out, mode, billable_units, generated)
           VALUES ($1, now(), $2, $2, $2, $2, 'mp_live_…abcd', 'GET', 200, 5, 0, 10, 'live', 1, false)`,
          [id, randomUUID()],
        );

      await new UsageRequestIdUuid1795879800000().up(runner);
      const rows = await runner.query(`SELECT request_id::text AS id FROM usage_requests`);
      expect(rows.map((row: { id: string }) => row.id).sort()).toEqual(
        [ids[0], ids[1].toLowerCase(), md5Uuid('req-old-42')].sort(),
      );
      const [{ type }] = await runner.query(
        `SELECT data_type AS type FROM information_schema.columns
         WHERE table_name = 'usage_requests' AND column_name = 'request_id'`,
      );
      expect(type).toBe('uuid');

      await new UsageRequestIdUuid1795879800000().down(runner);
      const [{ type: restored }] = await runner.query(
        `SELECT data_type AS type FROM information_schema.columns
         WHERE table_name = 'usage_requests' AND column_name = 'request_id'`,
      );
      expect(restored).toBe('character varying');
      await expect(runner.query(`SELECT count(*)::int AS n FROM usage_requests`)).resolves.toEqual([
        { n: 3 },
      ]);
    });
  });
});
