import type { DataSource } from 'typeorm';
import { modifyRows } from './sql.js';

/** The rows of one table a retention batch deletes. SQL fragments written by the caller, never input. */
export interface PruneQuery {
  /** A table keyed by `id`. */
  readonly table: string;
  /** Which rows; its parameters are `$1`, `$2`... of `params`. */
  readonly where: string;
  /** Which go first (the oldest; an index should serve it with `where`). */
  readonly orderBy: string;
}

/**
 * Deletes up to `limit` rows matching the query, in its order, in one short
 * statement, and returns how many. Rows another transaction holds (the same
 * batch on another replica) are skipped rather than waited for, so retention
 * may run on every replica at once and each row is deleted once.
 */
export async function pruneBatch(
  db: DataSource,
  { table, where, orderBy }: PruneQuery,
  params: readonly unknown[],
  limit: number,
): Promise<number> {
  const { affected: deleted } = await modifyRows(
    db,
    `DELETE FROM ${table} WHERE id IN (
       SELECT id FROM ${table} WHERE ${where} ORDER BY ${orderBy} LIMIT $${params.length + 1} FOR UPDATE SKIP LOCKED)`,
    [...params, limit],
  );
  return deleted;
}
