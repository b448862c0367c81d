import { Client } from 'pg';
import { pgBinaryArray } from './pg-binary-array';

/** Each encoder against the real server: what arrives must equal the same values sent as text. */
describe('pgBinaryArray on PostgreSQL', () => {
  const client = new Client({ connectionString: process.env.DATABASE_URL });

  beforeAll(() => client.connect());
  afterAll(() => client.end());

  /** The binary parameter and the same values in node-postgres's text form, compared by the server. */
  async function sameAsText(type: string, binary: Buffer, values: unknown[]): Promise<void> {
    const [row] = (
      await client.query<{ same: boolean; got: string }>(
        `SELECT $1::${type}[] IS NOT DISTINCT FROM $2::${type}[] AS same, $1::${type}[]::text AS got`,
        [binary, values],
      )
    ).rows;
    expect({ type, same: row.same, got: row.got }).toEqual(expect.objectContaining({ type, same: true }));
  }

  it('sends every supported type as the values it was given, nulls included', async () => {
    await sameAsText('bool', pgBinaryArray.bool([true, false, null]), [true, false, null]);
    await sameAsText('int2', pgBinaryArray.int2([0, -32768, 32767, null]), [0, -32768, 32767, null]);
    await sameAsText('int4', pgBinaryArray.int4([1, -2147483648, 2147483647]), [1, -2147483648, 2147483647]);
    const bigs = [0, -1, 4294967296, -4294967297, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, null];
    await sameAsText(
      'int8',
      pgBinaryArray.int8(bigs),
      bigs.map((n) => (n === null ? null : String(n))),
    );
    const uuids = ['0189f7a0-1c2d-7e3f-8a4b-5c6d7e8f9a0b', 'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF', null];
    await sameAsText('uuid', pgBinaryArray.uuid(uuids), uuids);
    const strings = [
      'plain',
      'with "quotes", commas, {braces} and \\ backslash',
      'ünïcødé ✓',
      'mp_live_ab…wxyz',
      'astral 🚀 and 𝄞',
      'é then 🚀 after non-ASCII',
      '',
      null,
      'NULL',
    ];
    await sameAsText('varchar', pgBinaryArray.varchar(strings), strings);
    await sameAsText('text', pgBinaryArray.text(strings), strings);
  });

  it('sends instants to the millisecond, before and after PostgreSQL’s 2000 epoch', async () => {
    const instants = ['1999-12-31T23:59:59.999Z', '2000-01-01T00:00:00.000Z', '2026-11-28T19:45:27.123Z'];
    const { rows } = await client.query<{ at: Date }>(`SELECT unnest($1::timestamptz[]) AS at`, [
      pgBinaryArray.timestamptz(instants.map((iso) => Date.parse(iso))),
    ]);
    expect(rows.map((row) => row.at.toISOString())).toEqual(instants);
  });

  it('sends empty arrays', async () => {
    const { rows } = await client.query<{ n: number; u: string }>(
      `SELECT cardinality($1::uuid[]) AS n, $2::varchar[]::text AS u`,
      [pgBinaryArray.uuid([]), pgBinaryArray.varchar([])],
    );
    expect(rows[0]).toEqual({ n: 0, u: '{}' });
  });

  it('is refused by the server when the parameter names another element type', async () => {
    await expect(client.query(`SELECT $1::int8[]`, [pgBinaryArray.int4([1])])).rejects.toThrow(
      /array element type/,
    );
  });
});

describe('pgBinaryArray elements it cannot encode', () => {
  it.each([
    ['int2', () => pgBinaryArray.int2([32768])],
    ['int4', () => pgBinaryArray.int4([1.5])],
    ['int8', () => pgBinaryArray.int8([2 ** 53])],
    ['uuid (not hex)', () => pgBinaryArray.uuid(['0189f7a0-1c2d-7e3f-8a4b-5c6d7e8f9a0g'])],
    ['uuid (no dashes)', () => pgBinaryArray.uuid(['0189f7a01c2d7e3f8a4b5c6d7e8f9a0b'])],
  ])('throws a RangeError for %s', (_type, encode) => {
    expect(encode).toThrow(RangeError);
  });
});
