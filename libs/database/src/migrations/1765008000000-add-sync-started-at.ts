import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the projects API needs to say `queued`: a full sync was asked for
 * (creating the project, a new token, `POST /projects/:id/sync`) and no run has
 * taken it up yet.
 *
 * - `sync_started_at`: when the latest full sync began (database clock), set
 *   together with status `syncing` before the run reads the project.
 * - `sync_queued`: `sync_requested_at` newer than that start, computed by
 *   Postgres from the two exact timestamps (read through an entity, the
 *   microseconds would be lost to a JS Date and a request in the same
 *   millisecond as a start would go unseen). Nothing writes it.
 *
 * Rows from before: a run in progress started when its checkpoint says; a
 * request that was enqueued and then followed by a completed sync (or a
 * failure) is taken as started; any other request counts as queued. Adding a
 * stored generated column rewrites `projects` (one row per project: small).
 */
export class AddSyncStartedAt1765008000000 implements MigrationInterface {
  name = 'AddSyncStartedAt1765008000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE projects ADD COLUMN sync_started_at timestamptz`);
    await q.query(`
      UPDATE projects SET sync_started_at = CASE
        WHEN sync_run IS NOT NULL THEN (sync_run->>'startedAt')::timestamptz
        WHEN sync_enqueued_at >= sync_requested_at
          AND (sync_last_synced_at >= sync_requested_at OR sync_status = 'error') THEN sync_requested_at
      END
    `);
    await q.query(`
      ALTER TABLE projects ADD COLUMN sync_queued boolean NOT NULL GENERATED ALWAYS AS (
        sync_requested_at IS NOT NULL AND (sync_started_at IS NULL OR sync_started_at < sync_requested_at)
      ) STORED
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE projects DROP COLUMN sync_queued, DROP COLUMN sync_started_at`);
  }
}
