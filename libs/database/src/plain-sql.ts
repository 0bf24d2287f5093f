import type pg from 'pg';
import type { DataSource } from 'typeorm';

/**
 * The `pg` pool under TypeORM's data source, for the few hot statements that
 * should not pay for TypeORM's query runner (one checkout, the query, the
 * release: what a plain `pg` service does). Same connections, limits and
 * timeouts as every other query: it is the same pool.
 */
export function pgPool(db: DataSource): pg.Pool {
  // TypeORM's PostgresDriver keeps its pg.Pool as `master` (typed `any`).
  return (db.driver as unknown as { master: pg.Pool }).master;
}

/**
 * A boolean SQL condition one module hands another, with its own parameters:
 * `sql(first)` numbers them from `$first`, so the receiving statement can
 * place them after its own. Written by code, never from input.
 */
export interface SqlCondition {
  sql(firstParam: number): string;
  readonly params: readonly unknown[];
}
