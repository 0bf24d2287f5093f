import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The mirror of each project's Notion database, and each project's sync state.
 *
 * `version` is the change feed: every write to a row (tombstones included)
 * takes the next value of one sequence. Writers of one project hold a
 * transaction-scoped advisory lock while they write, so within a project
 * versions become visible in increasing order (a reader asking "after N" can
 * never later find a smaller version committed behind its back).
 *
 * `fetched_at` orders writes: the start (database clock) of the fetch whose
 * state the row holds. Notion rounds `last_edited_time` to the minute, so a
 * write wins only when (`last_edited_time`, `fetched_at`) is greater than the
 * row's. `synced_at` is the start of the latest fetch that saw the page at all;
 * a full sync tombstones rows it did not see (synced before the run began).
 */
export class CreateNotionPages1764576000000 implements MigrationInterface {
  name = 'CreateNotionPages1764576000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE notion_pages_version_seq AS bigint`);
    await q.query(`
      CREATE TABLE notion_pages (
        project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        page_id uuid NOT NULL,
        data_source_id uuid,
        title text NOT NULL DEFAULT '',
        properties jsonb NOT NULL DEFAULT '{}'::jsonb,
        url text,
        icon jsonb,
        created_time timestamptz NOT NULL,
        last_edited_time timestamptz NOT NULL,
        in_trash boolean NOT NULL DEFAULT false,
        deleted_at timestamptz,
        fetched_at timestamptz NOT NULL,
        synced_at timestamptz NOT NULL,
        version bigint NOT NULL DEFAULT nextval('notion_pages_version_seq'),
        CONSTRAINT notion_pages_pkey PRIMARY KEY (project_id, page_id)
      )
    `);
    await q.query(`ALTER SEQUENCE notion_pages_version_seq OWNED BY notion_pages.version`);
    // The read API: newest edit first (keyset on last_edited_time, page_id), and the change feed.
    await q.query(
      `CREATE INDEX notion_pages_recent_idx ON notion_pages (project_id, last_edited_time DESC, page_id DESC)`,
    );
    await q.query(`CREATE UNIQUE INDEX notion_pages_version_idx ON notion_pages (project_id, version)`);
    // The full sync's sweep and the page count look only at live rows.
    await q.query(
      `CREATE INDEX notion_pages_live_idx ON notion_pages (project_id, synced_at) WHERE deleted_at IS NULL`,
    );

    await q.query(`
      ALTER TABLE projects
        ADD COLUMN sync_status text NOT NULL DEFAULT 'idle'
          CONSTRAINT projects_sync_status_check CHECK (sync_status IN ('idle', 'syncing', 'error')),
        ADD COLUMN sync_last_synced_at timestamptz,
        ADD COLUMN sync_page_count integer NOT NULL DEFAULT 0,
        ADD COLUMN sync_last_error text,
        ADD COLUMN sync_requested_at timestamptz DEFAULT now(),
        ADD COLUMN sync_enqueued_at timestamptz,
        ADD COLUMN sync_watermark timestamptz,
        ADD COLUMN sync_run jsonb,
        ADD COLUMN sync_schemas jsonb
    `);
    // A full sync is requested by writing sync_requested_at; the default makes
    // every new project (and every project that existed before this migration)
    // ask for its first one in the same statement that creates it.
    // The event-worker's relay finds requested full syncs that were never enqueued.
    await q.query(`
      CREATE INDEX projects_sync_requested_idx ON projects (sync_requested_at)
      WHERE sync_requested_at IS NOT NULL AND (sync_enqueued_at IS NULL OR sync_enqueued_at < sync_requested_at)
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX projects_sync_requested_idx`);
    await q.query(`
      ALTER TABLE projects
        DROP COLUMN sync_status, DROP COLUMN sync_last_synced_at, DROP COLUMN sync_page_count,
        DROP COLUMN sync_last_error, DROP COLUMN sync_requested_at, DROP COLUMN sync_enqueued_at,
        DROP COLUMN sync_watermark, DROP COLUMN sync_run, DROP COLUMN sync_schemas
    `);
    await q.query(`DROP TABLE notion_pages`);
  }
}
