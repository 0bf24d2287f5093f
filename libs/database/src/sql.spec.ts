import { describe, expect, it } from '@jest/globals';
import { exactTimestamp, modifyRows, selectRows, type SqlRunner } from './sql.js';

/** Answers as TypeORM's Postgres driver does: rows for SELECT, [rows, affected] for UPDATE and DELETE. */
const runner = (answer: unknown): SqlRunner & { calls: unknown[][] } => {
  const calls: unknown[][] = [];
  return {
    calls,
    query: async (sql: string, parameters?: unknown[]) => {
      calls.push([sql, parameters]);
      return answer;
    },
  };
};

describe('sql helpers', () => {
  it('selectRows answers the rows and passes the parameters as given', async () => {
    const db = runner([{ id: 'a' }, { id: 'b' }]);
    expect(await selectRows<{ id: string }>(db, 'SELECT id FROM t WHERE x = $1', [1])).toEqual([
      { id: 'a' },
      { id: 'b' },
    ]);
    expect(db.calls).toEqual([['SELECT id FROM t WHERE x = $1', [1]]]);
  });

  it('modifyRows splits the driver answer of an UPDATE or DELETE into rows and the affected count', async () => {
    expect(await modifyRows<{ id: string }>(runner([[{ id: 'a' }], 1]), 'UPDATE t SET x = 1 RETURNING id')).toEqual({
      rows: [{ id: 'a' }],
      affected: 1,
    });
    expect(await modifyRows(runner([[], 0]), 'DELETE FROM t')).toEqual({ rows: [], affected: 0 });
  });

  it('exactTimestamp renders a column as UTC ISO text with microseconds', () => {
    expect(exactTimestamp('p.created_at')).toBe(
      `to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    );
  });
});
