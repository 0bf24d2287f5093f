/**
 * Raw SQL through TypeORM, typed. TypeORM's `query()` answers `any`, and on
 * Postgres its shape depends on the statement: the rows for SELECT and INSERT
 * (with RETURNING), but `[rows, affected]` for UPDATE and DELETE. These two
 * functions name which one a caller expects, so no caller casts.
 */

/**
 * Any UUID in its 8-4-4-4-12 hex form, either case (no version check): what a
 * `::uuid` cast of an id from outside must be checked against first (one bad
 * element fails a whole `::uuid[]` statement). Spelled without flags, so that
 * an OpenAPI `pattern` can quote its source.
 */
export const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** What runs raw SQL: a DataSource, an EntityManager (a transaction's), a Repository. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** The rows of a SELECT, or of an INSERT ... RETURNING. */
export async function selectRows<Row>(db: SqlRunner, sql: string, parameters: readonly unknown[] = []): Promise<Row[]> {
  return (await db.query(sql, [...parameters])) as Row[];
}

/** The rows (with RETURNING) and the affected count of an UPDATE or DELETE. */
export async function modifyRows<Row = never>(
  db: SqlRunner,
  sql: string,
  parameters: readonly unknown[] = [],
): Promise<{ rows: Row[]; affected: number }> {
  const [rows, affected] = (await db.query(sql, [...parameters])) as [Row[], number];
  return { rows, affected };
}

/**
 * A timestamptz column as exact ISO 8601 text in UTC, microseconds kept
 * (`2026-12-01T18:20:22.123456Z`): a JS Date would drop the microseconds that
 * ordering and cursors compare.
 */
export const exactTimestamp = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
