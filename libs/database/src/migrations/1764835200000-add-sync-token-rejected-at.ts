import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When Notion last rejected a project's integration token (a job that started
 * then was refused with 401). The project's scheduled syncs stop from then on,
 * until a later full-sync request (a new token, or the owner's
 * `POST /projects/:id/sync`, both of which write `sync_requested_at`) or a
 * sync that completes clears it.
 */
export class AddSyncTokenRejectedAt1764835200000 implements MigrationInterface {
  name = 'AddSyncTokenRejectedAt1764835200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE projects ADD COLUMN sync_token_rejected_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE projects DROP COLUMN sync_token_rejected_at`);
  }
}
