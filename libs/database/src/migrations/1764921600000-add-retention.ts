import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Partial indexes that let each retention batch find its rows without a scan. */
const INDEXES: ReadonlyArray<{ name: string; definition: string }> = [
  // Settled inbox rows, oldest first.
  {
    name: 'webhook_deliveries_settled_idx',
    definition: `webhook_deliveries (processed_at) WHERE status IN ('processed', 'ignored')`,
  },
  // Dead letters whose retry was carried out and that did not fail again since.
  {
    name: 'sync_failures_resolved_idx',
    definition: `sync_failures (retried_at) WHERE retried_at >= failed_at AND retried_at >= retry_requested_at`,
  },
  // Tombstones, oldest deletion first.
  { name: 'notion_pages_tombstones_idx', definition: `notion_pages (deleted_at) WHERE deleted_at IS NOT NULL` },
];

/**
 * Retention: the event-worker prunes settled inbox rows, resolved dead letters
 * and old tombstones. `projects.sync_purged_version` is the purge watermark:
 * the greatest change-feed version of a purged tombstone (0: none), so a
 * client whose `after` is below it learns it missed a deletion (410).
 *
 * Run outside a transaction so the indexes are built CONCURRENTLY: a plain
 * build would block the webhook intake's inserts for as long as it scans a
 * large inbox. Each step may run again after a failure (a failed concurrent
 * build leaves an invalid index behind, hence the drop first).
 */
export class AddRetention1764921600000 implements MigrationInterface {
  name = 'AddRetention1764921600000';
  transaction = false;

  async up(q: QueryRunner): Promise<void> {
    // A constant default: no table rewrite.
    await q.query(`ALTER TABLE projects ADD COLUMN IF NOT EXISTS sync_purged_version bigint NOT NULL DEFAULT 0`);
    for (const { name, definition } of INDEXES) {
      await q.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
      await q.query(`CREATE INDEX CONCURRENTLY ${name} ON ${definition}`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const { name } of INDEXES) await q.query(`DROP INDEX IF EXISTS ${name}`);
    await q.query(`ALTER TABLE projects DROP COLUMN sync_purged_version`);
  }
}
