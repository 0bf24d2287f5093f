import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { modifyRows, selectRows } from '@app/database';
import type { MirrorRow } from './mirror-row.js';
import { ProjectSyncStore } from './project-sync.store.js';

/** What one write did. */
export interface MirrorWrite {
  /** Rows inserted or replaced (newer than what was stored); a new version only if their content changed. */
  readonly written: number;
}

// Rows of one call, as one jsonb parameter: one statement per batch, however large.
const INPUT = `jsonb_to_recordset($2::jsonb) AS r(
  page_id uuid, data_source_id uuid, title text, properties jsonb, url text, icon jsonb,
  created_time timestamptz, last_edited_time timestamptz, in_trash boolean)`;

/** Rows one sweep statement tombstones at most. */
const SWEEP_CHUNK = 2000;

// The content a client sees; a write that leaves it equal takes no new version.
const CONTENT = (t: string) =>
  `(${t}.data_source_id, ${t}.title, ${t}.properties, ${t}.url, ${t}.icon, ${t}.created_time, ${t}.last_edited_time, ${t}.in_trash)`;

/**
 * Writes the mirror. Every method is idempotent and safe to race:
 *
 * - A write wins only when (`last_edited_time`, fetch start) is greater than the
 *   stored row's: Notion rounds `last_edited_time` to the minute, so the fetch
 *   start breaks ties (a second edit in the same minute is fetched later), and
 *   a slow, older fetch never replaces a newer one.
 * - The fetch start must be read from the database clock (`now()`) before the
 *   request to Notion goes out, so that all writers compare one clock.
 * - Each call runs in one transaction holding the project's advisory lock, so
 *   versions of one project commit in increasing order (see the migration).
 */
@Injectable()
export class MirrorWriter {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly syncState: ProjectSyncStore,
  ) {}

  /** The database clock: read it before a fetch, pass it as `fetchStartedAt`. */
  async now(): Promise<Date> {
    const [row] = await selectRows<{ now: Date }>(this.dataSource, `SELECT clock_timestamp() AS now`);
    return row!.now;
  }

  /** Inserts or replaces pages seen by a fetch that started at `fetchStartedAt`. */
  async upsert(projectId: string, rows: readonly MirrorRow[], fetchStartedAt: Date): Promise<MirrorWrite> {
    if (rows.length === 0) return { written: 0 };
    // One row per page: ON CONFLICT cannot touch a row twice in one statement.
    const unique = [...new Map(rows.map((r) => [r.pageId, r])).values()];
    const input = JSON.stringify(
      unique.map((r) => ({
        page_id: r.pageId,
        data_source_id: r.dataSourceId,
        title: r.title,
        properties: r.properties,
        url: r.url,
        icon: r.icon ?? null,
        created_time: r.createdTime,
        last_edited_time: r.lastEditedTime,
        in_trash: r.inTrash,
      })),
    );
    return this.locked(projectId, async (m) => {
      // `old` reads the rows as they were before the statement (one snapshot for
      // every part of it): how many written rows were live before and after gives
      // the page count's change, with no count(*). Exact because every writer of
      // the project's live rows holds its advisory lock (see `locked`).
      const [written] = await selectRows<{ written: number; delta: number }>(
        m,
        `WITH old AS (
           SELECT page_id, deleted_at IS NULL AS live FROM notion_pages
           WHERE project_id = $1 AND page_id = ANY($4::uuid[])
         ), written AS (
         INSERT INTO notion_pages AS p (project_id, page_id, data_source_id, title, properties, url, icon,
           created_time, last_edited_time, in_trash, deleted_at, fetched_at, synced_at)
         SELECT $1, r.page_id, r.data_source_id, coalesce(r.title, ''), coalesce(r.properties, '{}'::jsonb), r.url, r.icon,
           r.created_time, r.last_edited_time, coalesce(r.in_trash, false), CASE WHEN r.in_trash THEN now() END, $3, $3
         FROM ${INPUT}
         ON CONFLICT (project_id, page_id) DO UPDATE SET
           data_source_id = EXCLUDED.data_source_id, title = EXCLUDED.title, properties = EXCLUDED.properties,
           url = EXCLUDED.url, icon = EXCLUDED.icon, created_time = EXCLUDED.created_time,
           last_edited_time = EXCLUDED.last_edited_time, in_trash = EXCLUDED.in_trash,
           deleted_at = CASE WHEN EXCLUDED.in_trash THEN coalesce(p.deleted_at, now()) END,
           fetched_at = EXCLUDED.fetched_at,
           synced_at = greatest(p.synced_at, EXCLUDED.synced_at),
           version = CASE
             WHEN ${CONTENT('p')} IS DISTINCT FROM ${CONTENT('EXCLUDED')}
               OR (p.deleted_at IS NOT NULL) IS DISTINCT FROM EXCLUDED.in_trash
             THEN nextval('notion_pages_version_seq') ELSE p.version END
         WHERE (EXCLUDED.last_edited_time, EXCLUDED.fetched_at) > (p.last_edited_time, p.fetched_at)
           -- A page found gone (404, moved out, swept) keeps its last edit time, so a
           -- newer edit seen by a fetch that started before the absence was observed
           -- must not bring it back: only a later fetch can.
           AND NOT (p.deleted_at IS NOT NULL AND NOT p.in_trash AND EXCLUDED.fetched_at <= p.fetched_at)
         RETURNING p.page_id, p.deleted_at IS NULL AS live
         )
         SELECT count(*)::int AS written,
           (count(*) FILTER (WHERE w.live) - count(*) FILTER (WHERE o.live))::int AS delta
         FROM written w LEFT JOIN old o USING (page_id)`,
        [projectId, input, fetchStartedAt, unique.map((r) => r.pageId)],
      );
      // Rows not replaced (an equal or newer state is stored) were still seen by this fetch.
      await m.query(
        `UPDATE notion_pages SET synced_at = $3
         WHERE project_id = $1 AND page_id = ANY($2::uuid[]) AND synced_at < $3`,
        [projectId, unique.map((r) => r.pageId), fetchStartedAt],
      );
      return { result: { written: written!.written }, delta: written!.delta };
    });
  }

  /**
   * The page is gone from the database (404, unshared, moved elsewhere):
   * tombstone it if a fetch that started at `fetchStartedAt` is the newest word
   * on it. Returns true when the row changed. A page never mirrored stays absent.
   */
  async tombstone(projectId: string, pageId: string, fetchStartedAt: Date): Promise<boolean> {
    return this.locked(projectId, async (m) => {
      const { affected } = await modifyRows(
        m,
        `UPDATE notion_pages SET fetched_at = $3,
           version = CASE WHEN deleted_at IS NULL THEN nextval('notion_pages_version_seq') ELSE version END,
           deleted_at = coalesce(deleted_at, now())
         WHERE project_id = $1 AND page_id = $2 AND fetched_at < $3 AND deleted_at IS NULL`,
        [projectId, pageId, fetchStartedAt],
      );
      return { result: affected > 0, delta: -affected };
    });
  }

  /**
   * End of a full sync that started at `runStartedAt`: every live row no fetch
   * has seen since then left the database. In chunks (each its own short
   * transaction), so a large mirror never runs into the statement timeout.
   * Returns how many rows were tombstoned.
   */
  async sweep(projectId: string, runStartedAt: Date): Promise<number> {
    return this.tombstoneUnseen(projectId, runStartedAt, `synced_at < $2`, [runStartedAt]);
  }

  /**
   * Tombstones live rows of data sources the database no longer holds (a data
   * source deleted or moved away), as of a fetch that started at `fetchStartedAt`.
   */
  async sweepDataSources(projectId: string, keep: readonly string[], fetchStartedAt: Date): Promise<number> {
    // An empty list is never a fact about Notion (a database holds at least one
    // data source): refusing it protects the mirror from a malformed answer.
    if (keep.length === 0) throw new Error('Refusing to tombstone every data source of a project');
    return this.tombstoneUnseen(
      projectId,
      fetchStartedAt,
      `data_source_id IS NOT NULL AND NOT (data_source_id = ANY($3::uuid[]))`,
      [fetchStartedAt, keep],
    );
  }

  private async tombstoneUnseen(
    projectId: string,
    observedAt: Date,
    condition: string,
    params: unknown[],
  ): Promise<number> {
    let total = 0;
    for (;;) {
      const swept = await this.locked(projectId, async (m) => {
        // Only live rows, each counted once: the page count drops by `affected`.
        const { affected } = await modifyRows(
          m,
          `UPDATE notion_pages SET deleted_at = now(), fetched_at = greatest(fetched_at, $2),
             version = nextval('notion_pages_version_seq')
           WHERE project_id = $1 AND deleted_at IS NULL AND page_id IN (
             SELECT page_id FROM notion_pages
             WHERE project_id = $1 AND deleted_at IS NULL AND ${condition}
             LIMIT ${SWEEP_CHUNK})`,
          [projectId, ...params],
        );
        return { result: affected, delta: -affected };
      });
      total += swept;
      if (swept < SWEEP_CHUNK) return total;
    }
  }

  /**
   * Runs `work` in a transaction that holds the project's change-feed lock,
   * and moves the project's page count by the `delta` of live pages it
   * reports, in the same transaction (the sync state's own store writes it).
   */
  private locked<T>(projectId: string, work: (m: EntityManager) => Promise<{ result: T; delta: number }>): Promise<T> {
    return this.dataSource.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('notion_pages:' || $1, 0))`, [projectId]);
      // Hold off the project's deletion before taking any mirror or sync row:
      // a deletion locks the project row first, then cascades to notion_pages
      // and project_sync in an order of its own, so a writer that held one of
      // those rows could deadlock with it. KEY SHARE blocks only the deletion
      // (and key changes): edits of the project do not wait for mirror writes.
      await m.query(`SELECT 1 FROM projects WHERE id = $1 FOR KEY SHARE`, [projectId]);
      const { result, delta } = await work(m);
      await this.syncState.addPages(projectId, delta, m);
      return result;
    });
  }
}
