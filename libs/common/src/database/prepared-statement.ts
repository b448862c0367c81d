import type { PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * A statement written once in code, run by name: node-postgres has the server parse and plan it
 * on each connection the first time, then only binds and executes it. For hot system statements
 * whose parsing and planning cost more than their work (ADR 0009).
 */
export interface PreparedStatement {
  /** Unique in the process: node-postgres refuses one name with two texts on a connection. */
  readonly name: string;
  readonly text: string;
}

/**
 * Runs `statement` with `values` and answers node-postgres's result (`rows` as it parses them,
 * `rowCount`): on a pooled connection, or on the connection of `manager`'s transaction. Errors are
 * node-postgres's own (`isUniqueViolation` reads them), not TypeORM's `QueryFailedError`.
 */
export async function runPrepared<R extends QueryResultRow>(
  dataSource: DataSource,
  statement: PreparedStatement,
  values: readonly unknown[],
  manager?: EntityManager,
): Promise<QueryResult<R>> {
  const transaction = manager?.queryRunner;
  const runner = transaction ?? dataSource.createQueryRunner();
  try {
    const client = (await runner.connect()) as PoolClient;
    return await client.query<R>({ name: statement.name, text: statement.text, values: [...values] });
  } finally {
    if (!transaction) await runner.release();
  }
}
