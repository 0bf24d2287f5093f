import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { modifyRows, selectRows } from '@app/database';

/** One tombstone past the horizon: what a purge needs to delete it and to move the project's watermark. */
export interface ExpiredTombstone {
  readonly projectId: string;
  readonly pageId: string;
  /** Its change-feed version (a decimal bigint). */
  readonly version: string;
}

/**
 * Purges tombstones (rows with `deleted_at`) older than a horizon. A client of
 * the change feed learns of a deletion only from its tombstone, so before
 * purging, the caller records the greatest purged version per project (the
 * purge watermark, in the project's sync state); readers compare `after` with
 * it. Hence two steps: `expired` finds the rows, the caller moves the
 * watermark, then `purge` deletes exactly those rows, and only if they are
 * still the same tombstones (a page restored meanwhile has a new version and
 * no `deleted_at`, and stays).
 */
@Injectable()
export class MirrorRetention {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Up to `limit` tombstones deleted more than `maxAgeDays` ago, oldest first, across projects. */
  async expired(maxAgeDays: number, limit: number): Promise<ExpiredTombstone[]> {
    const rows = await selectRows<{ project_id: string; page_id: string; version: string }>(
      this.dataSource,
      `SELECT project_id, page_id, version::text AS version FROM notion_pages
        WHERE deleted_at IS NOT NULL AND deleted_at < now() - make_interval(days => $1::int)
        ORDER BY deleted_at
        LIMIT $2`,
      [maxAgeDays, limit],
    );
    return rows.map((r) => ({ projectId: r.project_id, pageId: r.page_id, version: r.version }));
  }

  /**
   * Deletes these tombstones of one project, each only at the version given
   * and still past the horizon, in one statement; returns how many. Rows that
   * another replica is deleting (or a writer is restoring) are skipped. Call
   * it only once the project's purge watermark covers every version given.
   */
  async purge(projectId: string, tombstones: readonly ExpiredTombstone[], maxAgeDays: number): Promise<number> {
    if (tombstones.length === 0) return 0;
    const { affected: deleted } = await modifyRows(
      this.dataSource,
      `DELETE FROM notion_pages WHERE (project_id, page_id) IN (
         SELECT project_id, page_id FROM notion_pages
          WHERE project_id = $1
            AND (page_id, version) IN (SELECT * FROM unnest($2::uuid[], $3::bigint[]))
            AND deleted_at IS NOT NULL AND deleted_at < now() - make_interval(days => $4::int)
          FOR UPDATE SKIP LOCKED)`,
      [projectId, tombstones.map((t) => t.pageId), tombstones.map((t) => t.version), maxAgeDays],
    );
    return deleted;
  }
}
