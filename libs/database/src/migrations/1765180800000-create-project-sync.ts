import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The sync state: each column's name in `project_sync` (in `projects` before: `sync_` + name) and type. */
const STATE: ReadonlyArray<readonly [string, string]> = [
  ['status', `text NOT NULL DEFAULT 'idle'`],
  ['last_synced_at', 'timestamptz'],
  ['page_count', 'integer NOT NULL DEFAULT 0'],
  ['last_error', 'text'],
  // A new row asks for the project's first full sync.
  ['requested_at', 'timestamptz DEFAULT now()'],
  ['enqueued_at', 'timestamptz'],
  ['started_at', 'timestamptz'],
  ['failed_at', 'timestamptz'],
  ['watermark', 'timestamptz'],
  ['run', 'jsonb'],
  ['schemas', 'jsonb'],
  ['token_rejected_at', 'timestamptz'],
  ['purged_version', 'bigint NOT NULL DEFAULT 0'],
];
const NAMES = STATE.map(([name]) => name);
const old = (name: string) => `sync_${name}`;
const same = (name: string) => name;
type Column = (name: string) => string;

const STATUS_CHECK = (c: Column) => `CHECK (${c('status')} IN ('idle', 'syncing', 'error'))`;
/** A request newer than both the latest start and the latest full-sync failure. */
const QUEUED = (c: Column) => `${c('requested_at')} IS NOT NULL
  AND (${c('started_at')} IS NULL OR ${c('started_at')} < ${c('requested_at')})
  AND (${c('failed_at')} IS NULL OR ${c('failed_at')} < ${c('requested_at')})`;
/** A request not enqueued yet (the event-worker's relay looks for them). */
const PENDING = (c: Column) =>
  `${c('requested_at')} IS NOT NULL AND (${c('enqueued_at')} IS NULL OR ${c('enqueued_at')} < ${c('requested_at')})`;

/**
 * A project's sync state leaves `projects` for a table of its own, written
 * only by libs/sync (`ProjectSyncStore`): one row per project, created in the
 * transaction that creates the project (`ProjectHooks.created`), deleted with
 * it. The mirror writer keeps `page_count` by delta on every write; with the
 * state elsewhere, it no longer takes a write lock on the project row, so
 * project edits and mirror writes stop waiting for each other.
 *
 * Same columns and meanings, without the `sync_` prefix; `queued` is still
 * generated (a request newer than both the latest start and the latest
 * full-sync failure), and the relay's index of requests not yet enqueued
 * moves along. Every project's state is copied; `projects` is rewritten
 * without the columns (one row per project: small).
 */
export class CreateProjectSync1765180800000 implements MigrationInterface {
  name = 'CreateProjectSync1765180800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE project_sync (
        project_id uuid PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
        ${STATE.map(([name, type]) => `${name} ${type},`).join('\n        ')}
        queued boolean NOT NULL GENERATED ALWAYS AS (${QUEUED(same)}) STORED,
        CONSTRAINT project_sync_status_check ${STATUS_CHECK(same)}
      )
    `);
    await q.query(`
      INSERT INTO project_sync (project_id, ${NAMES.join(', ')})
      SELECT id, ${NAMES.map(old).join(', ')} FROM projects
    `);
    await q.query(`CREATE INDEX project_sync_requested_idx ON project_sync (requested_at) WHERE ${PENDING(same)}`);
    await q.query(`DROP INDEX projects_sync_requested_idx`);
    await q.query(`ALTER TABLE projects ${['queued', ...NAMES].map((n) => `DROP COLUMN ${old(n)}`).join(', ')}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE projects
        ${STATE.map(([name, type]) => `ADD COLUMN ${old(name)} ${type}`).join(',\n        ')},
        ADD CONSTRAINT projects_sync_status_check ${STATUS_CHECK(old)}
    `);
    await q.query(`
      UPDATE projects p SET ${NAMES.map((n) => `${old(n)} = s.${n}`).join(', ')}
      FROM project_sync s WHERE s.project_id = p.id
    `);
    await q.query(
      `ALTER TABLE projects ADD COLUMN sync_queued boolean NOT NULL GENERATED ALWAYS AS (${QUEUED(old)}) STORED`,
    );
    await q.query(`CREATE INDEX projects_sync_requested_idx ON projects (sync_requested_at) WHERE ${PENDING(old)}`);
    await q.query(`DROP TABLE project_sync`);
  }
}
