import { createHash } from 'node:crypto';
import type { DataSource, EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { runPrepared, type PreparedStatement } from './prepared-statement';

/**
 * Entities read by a WHERE clause written once, for hot system reads (the gateway reloads every
 * key, API, subscription and plan it serves about twice a minute) where TypeORM's `findOne` or a
 * query builder costs more than the query: they build their SQL and map their aliases again on
 * every call (~0.25 ms of CPU against ~0.1 for running the query). The select list comes from the
 * entity's metadata, and every value is hydrated as TypeORM hydrates it
 * (`driver.prepareHydratedValue`: types, transformers), so the answer equals TypeORM's for the same
 * rows, relations aside (none are loaded). What a relation was joined for can be selected as an
 * extra value instead (`extras`). The statements are prepared on each connection once
 * (`runPrepared`): parsing and planning a key read cost PostgreSQL ~5 times what running it did.
 */
export class EntityRowReader<
  T extends ObjectLiteral,
  X extends Record<string, unknown> = Record<never, never>,
> {
  private compiled?: {
    metadata: EntityMetadata;
    columns: readonly ColumnMetadata[];
    extras: readonly (keyof X & string)[];
    /** The first matching row (`findOne`, `read`). */
    one: PreparedStatement;
    /** Every matching row (`findAll`). */
    all: PreparedStatement;
  };

  /**
   * `where` is SQL written in code (never built from input: it is pasted into the statement), using
   * $1, $2 … for the parameters given to the reads; it may end with an ORDER BY (`findAll`'s order,
   * whose first row `findOne` reads). `extras` are more SQL expressions written in code, each read
   * into the value of its name as node-postgres parses it (e.g. a correlated `EXISTS` on another
   * table; qualify the entity's columns with its table's name there).
   */
  constructor(
    private readonly dataSource: DataSource,
    private readonly target: EntityTarget<T>,
    private readonly where: string,
    private readonly extras?: { readonly [K in keyof X]: string },
  ) {}

  /** The entity of the first row matching, or null (in `manager`'s transaction when given). */
  async findOne(parameters: readonly unknown[], manager?: EntityManager): Promise<T | null> {
    return (await this.read(parameters, manager))?.entity ?? null;
  }

  /** As `findOne`, with the row's extra values. */
  async read(
    parameters: readonly unknown[],
    manager?: EntityManager,
  ): Promise<{ entity: T; extras: X } | null> {
    const compiled = this.compile();
    const { rows } = await runPrepared<Record<string, unknown>>(
      this.dataSource,
      compiled.one,
      parameters,
      manager,
    );
    if (rows.length === 0) return null;
    const values = {} as Record<string, unknown>;
    for (const name of compiled.extras) values[name] = rows[0][EXTRA + name];
    return { entity: this.hydrate(rows[0]), extras: values as X };
  }

  /** The entities of every matching row, in the WHERE clause's order (in `manager`'s transaction when given). */
  async findAll(parameters: readonly unknown[], manager?: EntityManager): Promise<T[]> {
    const { rows } = await runPrepared<Record<string, unknown>>(
      this.dataSource,
      this.compile().all,
      parameters,
      manager,
    );
    return rows.map((row) => this.hydrate(row));
  }

  private hydrate(row: Record<string, unknown>): T {
    const { metadata, columns } = this.compile();
    const entity = metadata.create() as T;
    for (const column of columns)
      column.setEntityValue(
        entity,
        this.dataSource.driver.prepareHydratedValue(row[column.propertyPath], column),
      );
    return entity;
  }

  /** Built on first use: the entity metadata exists once the DataSource is initialised. */
  private compile(): NonNullable<EntityRowReader<T, X>['compiled']> {
    if (this.compiled) return this.compiled;
    const metadata = this.dataSource.getMetadata(this.target);
    const columns = metadata.columns.filter((column) => column.isSelect && !column.isVirtual);
    const extras = Object.keys(this.extras ?? {}) as (keyof X & string)[];
    const escape = (name: string) => this.dataSource.driver.escape(name);
    const list = [
      ...columns.map((column) => `${escape(column.databaseName)} AS ${escape(column.propertyPath)}`),
      ...extras.map((name) => `${this.extras![name]} AS ${escape(EXTRA + name)}`),
    ];
    const sql = `SELECT ${list.join(', ')} FROM ${escape(metadata.tableName)} WHERE ${this.where}`;
    // named by their text: readers of the same SQL share a statement
    const statement = (text: string): PreparedStatement => ({
      name: `entity-row-reader:${metadata.tableName}:${createHash('sha256').update(text).digest('hex').slice(0, 16)}`,
      text,
    });
    return (this.compiled = {
      metadata,
      columns,
      extras,
      one: statement(`${sql} LIMIT 1`),
      all: statement(sql),
    });
  }
}

/** Extra values are selected under this prefix, so their names cannot clash with a column's. */
const EXTRA = 'extra:';
