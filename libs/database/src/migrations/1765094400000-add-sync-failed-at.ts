import type { MigrationInterface, QueryRunner } from 'typeorm';

const QUEUED_BEFORE = `sync_requested_at IS NOT NULL
  AND (sync_started_at IS NULL OR sync_started_at < sync_requested_at)`;

/**
 * A full sync that fails for good answers the requests made before it, even
 * when its run never began (its lock connection refused, say): the project
 * then reads `error`, not `queued` (no job is left to take those requests up).
 *
 * - `sync_failed_at`: when a full-sync job last failed for good (database
 *   clock), written with status `error` by `ProjectSyncStore.fullSyncFailed`.
 * - `sync_queued` is generated again (Postgres 15 cannot change the expression
 *   of a generated column in place): a request newer than both the latest start
 *   and the latest full-sync failure.
 *
 * Rows from before: a project in `error` whose latest request was enqueued and
 * that no run began since is taken as answered by that error (the job failed
 * before it began; had it not, it would have begun within seconds). Rewrites
 * `projects` (one row per project: small).
 */
export class AddSyncFailedAt1765094400000 implements MigrationInterface {
  name = 'AddSyncFailedAt1765094400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE projects ADD COLUMN sync_failed_at timestamptz`);
    await q.query(`
      UPDATE projects SET sync_failed_at = sync_requested_at
      WHERE sync_status = 'error' AND sync_queued AND sync_enqueued_at >= sync_requested_at
    `);
    await q.query(`ALTER TABLE projects DROP COLUMN sync_queued`);
    await q.query(`
      ALTER TABLE projects ADD COLUMN sync_queued boolean NOT NULL GENERATED ALWAYS AS (
        ${QUEUED_BEFORE} AND (sync_failed_at IS NULL OR sync_failed_at < sync_requested_at)
      ) STORED
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE projects DROP COLUMN sync_queued, DROP COLUMN sync_failed_at`);
    await q.query(`
      ALTER TABLE projects ADD COLUMN sync_queued boolean NOT NULL GENERATED ALWAYS AS (${QUEUED_BEFORE}) STORED
    `);
  }
}
