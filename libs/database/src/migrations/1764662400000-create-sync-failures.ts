import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Dead letters: every job that failed for good, per project, with what it was
 * about, why, and how often it was tried; the owner (API) or an operator (CLI)
 * may ask for a retry, which the event-worker carries out.
 */
export class CreateSyncFailures1764662400000 implements MigrationInterface {
  name = 'CreateSyncFailures1764662400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sync_failures (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        job_name text NOT NULL,
        job_id text NOT NULL,
        job_data jsonb NOT NULL,
        entity_id text,
        reason text NOT NULL,
        attempts integer NOT NULL,
        failed_at timestamptz NOT NULL DEFAULT now(),
        retry_requested_at timestamptz,
        retried_at timestamptz,
        CONSTRAINT sync_failures_job_unique UNIQUE (job_id)
      )
    `);
    await q.query(`CREATE INDEX sync_failures_project_idx ON sync_failures (project_id, failed_at DESC, id DESC)`);
    await q.query(`
      CREATE INDEX sync_failures_retry_idx ON sync_failures (retry_requested_at)
      WHERE retry_requested_at IS NOT NULL AND (retried_at IS NULL OR retried_at < retry_requested_at)
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sync_failures`);
  }
}
