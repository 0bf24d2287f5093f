import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { InFlightBatcher, modifyRows, selectRows } from '@app/database';
import { FeedAnnouncer } from '@app/messaging';
import { normalizeNotionId } from '@app/notion';
import type { MirrorRow } from './mirror-row.js';
import { plainValues } from './page-values.js';
import { ProjectSyncStore } from './project-sync.store.js';

/** What one write did. */
export interface MirrorWrite {
  /** Rows inserted or replaced (newer than what was stored); a new version only if their content changed. */
  readonly written: number;
}

/** What a page job's write did (see `MirrorWriter.writePage`). */
export interface PageWrite {
  /** The project is gone: nothing was written. */
  readonly projectDeleted: boolean;
  readonly written: boolean;
  /** The write inserted the page (live): its body is to be fetched. */
  readonly inserted: boolean;
  readonly tombstoned: boolean;
  /** The lag of each delivery about the page that the write settled (`processed`). */
  readonly lagSeconds: readonly number[];
}

/** One page's part of a `mirror_write` call. */
interface Item {
  readonly pageId: string;
  /** The page as fetched, or undefined when the fetch found it gone. */
  readonly row?: MirrorRow;
  readonly fetchStartedAt: Date;
  /** Settle the page's deliveries received up to the fetch start (page jobs). */
  readonly settle: boolean;
}

/** What `mirror_write` answers (see the migration AddMirrorWriteFunctions). */
interface WriteResult {
  readonly deleted?: true;
  readonly written?: string[];
  readonly inserted?: string[];
  readonly tombstoned?: string[];
  readonly settled?: Array<{ entityId: string; lagSeconds: number }>;
}

/** Page writes sent in one call at most. */
const MAX_BATCH = 100;

/** Rows one sweep statement tombstones at most. */
const SWEEP_CHUNK = 2000;

/**
 * Writes the mirror. Every method is idempotent and safe to race:
 *
 * - A write wins only when (`last_edited_time`, fetch start) is greater than the
 *   stored row's: Notion rounds `last_edited_time` to the minute, so the fetch
 *   start breaks ties (a second edit in the same minute is fetched later), and
 *   a slow, older fetch never replaces a newer one.
 * - The fetch start must be read from the database clock (`now()`) before the
 *   request to Notion goes out, so that all writers compare one clock.
 * - Each write is one transaction holding the project's advisory lock, so
 *   versions of one project commit in increasing order (see the migrations).
 *
 * Upserts, tombstones and page jobs' writes are one call of the SQL function
 * `mirror_write` each (one round trip, one commit: lock, upsert, seen-marks,
 * tombstones, page count by delta, and the deliveries' `processed` marks).
 * Page jobs' writes are micro-batched across projects (`mirror_write_batch`):
 * the first goes at once, and writes that arrive while it runs go together in
 * the next call, so concurrent jobs make one round trip and one commit, and
 * jobs of a busy project do not queue one by one on its lock.
 */
@Injectable()
export class MirrorWriter {
  /** Page jobs' writes, sent together while a call is in flight (see the class). */
  private readonly pages = new InFlightBatcher<ProjectItem, PageWrite>((items) => this.writePages(items), {
    max: MAX_BATCH,
    // One row per page in each project's upsert.
    keyOf: ({ projectId, item }) => `${projectId}:${normalizeNotionId(item.pageId)}`,
  });

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly syncState: ProjectSyncStore,
    private readonly feed: FeedAnnouncer,
  ) {}

  /** The database clock: read it before a fetch, pass it as `fetchStartedAt`. */
  async now(): Promise<Date> {
    const [row] = await selectRows<{ now: Date }>(this.dataSource, `SELECT clock_timestamp() AS now`);
    return row!.now;
  }

  /** Inserts or replaces pages seen by a fetch that started at `fetchStartedAt`. */
  async upsert(projectId: string, rows: readonly MirrorRow[], fetchStartedAt: Date): Promise<MirrorWrite> {
    if (rows.length === 0) return { written: 0 };
    // One row per page (the last one given): ON CONFLICT cannot touch a row twice in one statement.
    const unique = [...new Map(rows.map((row) => [row.pageId, row])).values()];
    const result = await this.call(
      projectId,
      unique.map((row) => ({ pageId: row.pageId, row, fetchStartedAt, settle: false })),
    );
    return { written: result.written?.length ?? 0 };
  }

  /**
   * The page is gone from the database (404, unshared, moved elsewhere):
   * tombstone it if a fetch that started at `fetchStartedAt` is the newest word
   * on it. Returns true when the row changed. A page never mirrored stays absent.
   */
  async tombstone(projectId: string, pageId: string, fetchStartedAt: Date): Promise<boolean> {
    const result = await this.call(projectId, [{ pageId, fetchStartedAt, settle: false }]);
    return (result.tombstoned?.length ?? 0) > 0;
  }

  /**
   * A page job's result: the page as fetched (`row`), or gone (undefined),
   * written or tombstoned as `upsert` and `tombstone` do, and the page's
   * deliveries received up to `fetchStartedAt` marked `processed` in the same
   * commit. Batched with the project's other page writes (see the class).
   */
  writePage(projectId: string, pageId: string, row: MirrorRow | undefined, fetchStartedAt: Date): Promise<PageWrite> {
    return this.pages.submit({ projectId, item: { pageId, row, fetchStartedAt, settle: true } });
  }

  /** One `mirror_write_batch` call for page writes of any projects. */
  private async writePages(items: readonly ProjectItem[]): Promise<PageWrite[]> {
    const byProject = new Map<string, Item[]>();
    for (const { projectId, item } of items) {
      const projectItems = byProject.get(projectId);
      if (projectItems) projectItems.push(item);
      else byProject.set(projectId, [item]);
    }
    const [answer] = await selectRows<{ result: Record<string, WriteResult> }>(
      this.dataSource,
      `SELECT mirror_write_batch($1::jsonb) AS result`,
      [JSON.stringify([...byProject].map(([project, projectItems]) => ({ project, ...callInput(projectItems) })))],
    );
    // Keyed by the project id as Postgres spells a uuid.
    const results = new Map(Object.entries(answer!.result).map(([id, result]) => [normalizeNotionId(id), result]));
    for (const projectId of byProject.keys()) this.announce(projectId, results.get(normalizeNotionId(projectId)));
    return items.map(({ projectId, item }) => pageWrite(item.pageId, results.get(normalizeNotionId(projectId)) ?? {}));
  }

  /** One `mirror_write` call: one round trip and one commit (see the migration). */
  private async call(projectId: string, items: readonly Item[]): Promise<WriteResult> {
    const { rows, gone, settle } = callInput(items);
    const [answer] = await selectRows<{ result: WriteResult }>(
      this.dataSource,
      `SELECT mirror_write($1, $2::jsonb, $3::jsonb, $4::jsonb) AS result`,
      [projectId, JSON.stringify(rows), JSON.stringify(gone), JSON.stringify(settle)],
    );
    this.announce(projectId, answer!.result);
    return answer!.result;
  }

  /**
   * Tells the live streams that the project's feed advanced, when the write
   * changed rows (`written` also lists rows replaced without a new version:
   * an announcement too many costs one read of nothing). The oldest settled
   * delivery's receipt goes with it, for the webhook-to-event lag.
   */
  private announce(projectId: string, result: WriteResult | undefined): void {
    if (!result?.written?.length && !result?.tombstoned?.length) return;
    const lags = (result.settled ?? []).map((s) => s.lagSeconds);
    this.feed.advanced(projectId, lags.length ? Date.now() - Math.max(...lags) * 1000 : undefined);
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
      if (swept > 0) this.feed.advanced(projectId);
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

/** A write and its project. */
interface ProjectItem {
  readonly projectId: string;
  readonly item: Item;
}

/** The three lists `mirror_write` takes, from a project's writes. */
function callInput(items: readonly Item[]) {
  const rows = items.flatMap(({ row, fetchStartedAt }) => {
    if (!row) return [];
    // Derived here, in one place, from what Notion said: the served values and their query cells.
    const { values, cells } = plainValues(row.properties);
    return [
      {
        page_id: row.pageId,
        data_source_id: row.dataSourceId,
        title: row.title,
        properties: row.properties,
        url: row.url,
        icon: row.icon ?? null,
        cover: row.cover ?? null,
        created_time: row.createdTime,
        last_edited_time: row.lastEditedTime,
        in_trash: row.inTrash,
        fetched_at: fetchStartedAt.toISOString(),
        plain_values: values,
        cells,
      },
    ];
  });
  const gone = items
    .filter((item) => !item.row)
    .map((item) => ({ page_id: item.pageId, fetched_at: item.fetchStartedAt.toISOString() }));
  const settle = items
    .filter((item) => item.settle)
    .map((item) => ({ entity_id: item.pageId, before: item.fetchStartedAt.toISOString() }));
  return { rows, gone, settle };
}

/** One page's share of a `mirror_write` answer. */
function pageWrite(pageId: string, result: WriteResult): PageWrite {
  // Postgres answers uuids in its own spelling; the job's id may be spelled otherwise.
  const page = normalizeNotionId(pageId);
  const has = (ids: string[] | undefined) => ids?.some((id) => normalizeNotionId(id) === page) ?? false;
  return {
    projectDeleted: result.deleted === true,
    written: has(result.written),
    inserted: has(result.inserted),
    tombstoned: has(result.tombstoned),
    lagSeconds: (result.settled ?? []).filter((s) => s.entityId === pageId).map((s) => s.lagSeconds),
  };
}
