import { randomUUID } from 'node:crypto';
import {
  Column,
  CreateDateColumn,
  DataSource,
  Entity,
  type EntityManager,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { EntityRowReader } from './entity-row-reader';
import { SnakeNamingStrategy } from './snake-naming.strategy';

const TABLE = `entity_row_reader_${randomUUID().slice(0, 8)}`;

/** Every kind of column the entities have: a transformer, bigint, numeric, jsonb, arrays, nulls. */
@Entity(TABLE)
class Sample {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 40 })
  ownerId!: string;

  @Column({
    type: 'bigint',
    array: true,
    transformer: { to: (v: number[]) => v, from: (v: string[]) => v.map(Number) },
  })
  amounts!: number[];

  @Column({ type: 'bigint', nullable: true })
  cap!: string | null;

  @Column({ type: 'numeric', precision: 20, scale: 10, nullable: true })
  price!: string | null;

  @Column({ type: 'jsonb' })
  limits!: Record<string, number>;

  @Column({ type: 'text', array: true, nullable: true })
  tags!: string[] | null;

  @Column({ type: 'boolean' })
  flag!: boolean;

  @Column({ type: 'timestamptz', nullable: true })
  endsAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}

describe('EntityRowReader on PostgreSQL', () => {
  const dataSource = new DataSource({
    type: 'postgres',
    url: process.env.DATABASE_URL,
    entities: [Sample],
    namingStrategy: new SnakeNamingStrategy(),
  });

  beforeAll(async () => {
    await dataSource.initialize();
    await dataSource.synchronize();
  });

  afterAll(async () => {
    await dataSource.query(`DROP TABLE IF EXISTS "${TABLE}"`);
    await dataSource.destroy();
  });

  it('answers the entity TypeORM finds for the same row: every column, hydrated alike', async () => {
    const repo = dataSource.getRepository(Sample);
    const saved = await repo.save(
      repo.create({
        ownerId: 'owner-a',
        amounts: [500, 2_000],
        cap: '9007199254740993',
        price: '0.0500000000',
        limits: { perSecond: 5 },
        tags: ['GET /a', 'has "quotes", commas'],
        flag: true,
        endsAt: new Date('2030-01-31T12:00:00.123Z'),
      }),
    );
    await repo.save(
      repo.create({
        ownerId: 'owner-b',
        amounts: [],
        cap: null,
        price: null,
        limits: {},
        tags: null,
        flag: false,
        endsAt: null,
      }),
    );
    const reader = new EntityRowReader(dataSource, Sample, 'owner_id = $1');

    for (const owner of ['owner-a', 'owner-b']) {
      const read = await reader.findOne([owner]);
      expect(read).toBeInstanceOf(Sample);
      expect(read).toEqual(await repo.findOneBy({ ownerId: owner }));
    }
    // the transformer ran (bigint[] arrives as strings), and a bigint past 2^53 stayed exact
    expect(await reader.findOne(['owner-a'])).toMatchObject({
      id: saved.id,
      amounts: [500, 2_000],
      cap: '9007199254740993',
    });
    await expect(reader.findOne(['nobody'])).resolves.toBeNull();
  });

  it('reads extra values from SQL expressions, whatever their names, next to the entity', async () => {
    const repo = dataSource.getRepository(Sample);
    await repo.save(repo.create({ ownerId: 'owner-x', amounts: [7], limits: {}, flag: false }));
    const reader = new EntityRowReader<Sample, { others: number; id: boolean; endsAt: string | null }>(
      dataSource,
      Sample,
      'owner_id = $1',
      {
        // correlated on the entity's table name; `id` and `endsAt` are also column names
        others: `(SELECT count(*)::int FROM "${TABLE}" o WHERE o.owner_id <> "${TABLE}".owner_id)`,
        id: `"${TABLE}".flag`,
        endsAt: `'fixed'`,
      },
    );
    const read = await reader.read(['owner-x']);
    expect(read?.entity).toEqual(await repo.findOneBy({ ownerId: 'owner-x' }));
    expect(read?.extras).toEqual({
      others: (await repo.count()) - 1,
      id: false,
      endsAt: 'fixed',
    });
    await expect(reader.findOne(['owner-x'])).resolves.toEqual(read?.entity);
    await expect(reader.read(['nobody'])).resolves.toBeNull();
  });

  it('reads every matching row in the order its WHERE clause ends with', async () => {
    const repo = dataSource.getRepository(Sample);
    const owner = `owner-all-${randomUUID().slice(0, 8)}`;
    for (const [amount, flag] of [
      [3, true],
      [1, false],
      [2, true],
    ] as const)
      await repo.save(repo.create({ ownerId: owner, amounts: [amount], limits: { amount }, flag }));
    const reader = new EntityRowReader(dataSource, Sample, 'owner_id = $1 ORDER BY amounts DESC');
    const all = await reader.findAll([owner]);
    expect(all).toEqual(await repo.find({ where: { ownerId: owner }, order: { amounts: 'DESC' } }));
    expect(all.map((row) => row.amounts)).toEqual([[3], [2], [1]]);
    // the first row in that order, and nothing for no match
    await expect(reader.findOne([owner])).resolves.toEqual(all[0]);
    await expect(reader.findAll(['nobody'])).resolves.toEqual([]);
  });

  it('prepares its statement once per connection, then only executes it', async () => {
    const reader = new EntityRowReader(dataSource, Sample, 'owner_id = $1 AND flag');
    const prepared = (manager: EntityManager) =>
      manager.query<{ statement: string; runs: number }[]>(
        `SELECT statement, (generic_plans + custom_plans)::int AS runs FROM pg_prepared_statements
         WHERE name LIKE 'entity-row-reader:' || $1 || ':%' AND statement LIKE '%WHERE owner_id = $1 AND flag LIMIT 1'`,
        [TABLE],
      );
    await dataSource.transaction(async (manager) => {
      // one connection for the whole test: its session's prepared statements
      await expect(prepared(manager)).resolves.toEqual([]);
      await reader.findOne(['nobody'], manager);
      await reader.findOne(['owner-x'], manager);
      await new EntityRowReader(dataSource, Sample, 'owner_id = $1 AND flag').findOne(['x'], manager);
      const [statement, ...others] = await prepared(manager);
      expect(others).toEqual([]);
      expect(statement.statement).toMatch(
        /^SELECT .* FROM "entity_row_reader_\w+" WHERE owner_id = \$1 AND flag LIMIT 1$/,
      );
      // three reads, two readers of the same SQL: one statement, executed three times
      expect(statement.runs).toBe(3);
    });
  });

  it('reads inside the transaction it is given', async () => {
    const reader = new EntityRowReader(dataSource, Sample, 'owner_id = $1');
    await dataSource.transaction(async (manager) => {
      await manager.getRepository(Sample).save({ ownerId: 'owner-tx', amounts: [1], limits: {}, flag: true });
      await expect(reader.findOne(['owner-tx'], manager)).resolves.toMatchObject({ amounts: [1] });
      await expect(reader.findOne(['owner-tx'])).resolves.toBeNull();
    });
  });
});
