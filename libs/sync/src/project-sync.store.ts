import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { exactTimestamp, modifyRows, selectRows } from '@app/database';
import { ProjectHooks } from '@app/projects';
import {
  SyncStatus,
  type FullSyncRun,
  type ProjectSyncView,
  type StoredSyncStatus,
  type SyncRequest,
  type SyncState,
} from './project-sync.js';

/** Notion rejected the token and nobody asked for a full sync since: scheduled syncs stay off. */
const HALTED = `token_rejected_at IS NOT NULL
  AND (requested_at IS NULL OR requested_at <= token_rejected_at)`;

/**
 * A project with its sync state. Every project has a row in `project_sync`
 * (the migration copied them, `created` adds one in the project's own
 * transaction, the foreign key deletes it with the project); reads still join
 * from `projects`, so that a project without one would read as never synced,
 * never as deleted (the engine would drop its schedules). Writes to a missing
 * row change nothing.
 */
const PROJECT_WITH_SYNC = `projects p LEFT JOIN project_sync s ON s.project_id = p.id`;

/**
 * Live pages of project `p` whose body is missing or older than their last
 * edit: the backfill's work list, counted on its partial index
 * (notion_pages_content_stale_idx). Its predicate must stay the index's.
 */
export const CONTENT_STALE = `n.deleted_at IS NULL AND (n.content_fetched_at IS NULL OR n.content_fetched_at < n.last_edited_time)`;
const CONTENT_PENDING = `SELECT count(*)::int FROM notion_pages n WHERE n.project_id = p.id AND ${CONTENT_STALE}`;

interface StateRow {
  watermark: Date | null;
  run: FullSyncRun | null;
  requested_at: Date | null;
  schemas: Record<string, string> | null;
}

interface ViewRow {
  project_id: string;
  status: StoredSyncStatus;
  last_synced_at: Date | null;
  page_count: number;
  last_error: string | null;
  queued: boolean;
  content_sync: boolean;
  content_pending: number;
  content_error: string | null;
}

/**
 * A project's sync state (`project_sync`), and its only writer. Not
 * owner-scoped (jobs act for the system, identified by project id): the
 * gateway asks only after checking that the project is the caller's. Request
 * times travel as exact text (exactTimestamp): a JS Date keeps milliseconds,
 * and a request marked enqueued with a truncated time would stay pending
 * forever.
 */
@Injectable()
export class ProjectSyncStore implements ProjectHooks {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** What the sync engine works from; undefined once the project is deleted. */
  async state(projectId: string): Promise<SyncState | undefined> {
    const [row] = await selectRows<StateRow>(
      this.db,
      `SELECT s.watermark, s.run, s.requested_at, s.schemas FROM ${PROJECT_WITH_SYNC} WHERE p.id = $1`,
      [projectId],
    );
    if (!row) return undefined;
    return {
      projectId,
      watermark: row.watermark,
      run: row.run,
      requestedAt: row.requested_at,
      schemas: row.schemas ?? {},
    };
  }

  /**
   * The API's view of these projects' sync state (one query for a page of
   * projects); a project missing from the map was deleted. A running full
   * sync says `syncing` (a request meanwhile leaves a follow-up, `queued`
   * once this run ends); else a full sync requested after the latest one
   * began and after the latest full sync that failed for good says `queued`,
   * whatever the last outcome (a retry after an error is on its way;
   * `lastError` still says what failed); else the stored status (a full sync
   * that failed before its run began answered the requests before it: `error`).
   */
  async views(projectIds: readonly string[]): Promise<Map<string, ProjectSyncView>> {
    if (projectIds.length === 0) return new Map();
    const rows = await selectRows<ViewRow>(
      this.db,
      `SELECT p.id AS project_id, coalesce(s.status, 'idle') AS status, s.last_synced_at,
         coalesce(s.page_count, 0) AS page_count, s.last_error, coalesce(s.queued, false) AS queued,
         p.content_sync, s.content_error,
         CASE WHEN p.content_sync THEN (${CONTENT_PENDING}) ELSE 0 END AS content_pending
       FROM ${PROJECT_WITH_SYNC} WHERE p.id = ANY($1::uuid[])`,
      [projectIds],
    );
    return new Map(
      rows.map((r) => [
        r.project_id,
        {
          status: r.status !== SyncStatus.Syncing && r.queued ? SyncStatus.Queued : r.status,
          lastSyncedAt: r.last_synced_at,
          pageCount: r.page_count,
          lastError: r.last_error,
          contentPending: r.content_pending,
          contentError: r.content_sync ? r.content_error : null,
        },
      ]),
    );
  }

  /** Requested full syncs not yet enqueued, requested before `requestedBefore` (oldest first). */
  async pendingRequests(requestedBefore: Date, limit: number): Promise<SyncRequest[]> {
    const rows = await selectRows<{ project_id: string; requested_at: string }>(
      this.db,
      `SELECT project_id, ${exactTimestamp('requested_at')} AS requested_at FROM project_sync
       WHERE requested_at IS NOT NULL
         AND (enqueued_at IS NULL OR enqueued_at < requested_at)
         AND requested_at < $1
       ORDER BY requested_at LIMIT $2`,
      [requestedBefore, limit],
    );
    return rows.map((r) => ({ projectId: r.project_id, requestedAt: r.requested_at }));
  }

  /** The request of `projectId` as it stands, if one is waiting to be enqueued. */
  async pendingRequest(projectId: string): Promise<SyncRequest | undefined> {
    const [row] = await selectRows<{ requested_at: string }>(
      this.db,
      `SELECT ${exactTimestamp('requested_at')} AS requested_at FROM project_sync
       WHERE project_id = $1 AND requested_at IS NOT NULL
         AND (enqueued_at IS NULL OR enqueued_at < requested_at)`,
      [projectId],
    );
    return row ? { projectId, requestedAt: row.requested_at } : undefined;
  }

  /** The request up to `requestedAt` is in the queue (a newer request stays pending). */
  async markEnqueued(request: SyncRequest): Promise<void> {
    await this.db.query(
      `UPDATE project_sync SET enqueued_at = $2::timestamptz
       WHERE project_id = $1 AND (enqueued_at IS NULL OR enqueued_at < $2::timestamptz)`,
      [request.projectId, request.requestedAt],
    );
  }

  /**
   * Ids of the projects that sync on schedules, in pages (to re-create job
   * schedulers Redis lost): every project but those whose token Notion
   * rejected with no full-sync request since (see `tokenRejected`).
   */
  async scheduledProjectIds(after: string | null, limit: number): Promise<string[]> {
    const rows = await selectRows<{ id: string }>(
      this.db,
      `SELECT p.id FROM ${PROJECT_WITH_SYNC}
       WHERE ($1::uuid IS NULL OR p.id > $1::uuid) AND NOT (${HALTED})
       ORDER BY p.id LIMIT $2`,
      [after, limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * A full sync begins (or resumes), under the project's full-sync lock: status
   * `syncing`, and `started_at` now, which takes up the requests dated
   * before it (the project no longer reads `queued`); then the project as the
   * run works from it, read after the stamp so that it holds every request the
   * stamp took up (see `requestFullSync`). A request dated later stays `queued`
   * for the run that follows: the follow-up job the queue keeps, or the
   * request's own job, which waits for this run (`requestedSinceStart`).
   * Undefined once the project is deleted.
   */
  async beginFullSync(projectId: string): Promise<SyncState | undefined> {
    await this.db.query(`UPDATE project_sync SET status = $2, started_at = now() WHERE project_id = $1`, [
      projectId,
      SyncStatus.Syncing,
    ]);
    return this.state(projectId);
  }

  /**
   * Whether a full sync was requested after the latest full sync began. Asked
   * by a full sync that finds another run holding the lock: when false, a run
   * began after every request and took them up (that one, or one before it);
   * when true, that one may have begun before a request and not see it, so
   * the asker must run after it. Failures
   * do not count here (unlike for `queued`): a failure answers a request for
   * the API, but a run that did not see the request must still be followed.
   * False once the project is deleted.
   */
  async requestedSinceStart(projectId: string): Promise<boolean> {
    const [row] = await selectRows<{ requested: boolean }>(
      this.db,
      `SELECT requested_at IS NOT NULL
         AND (started_at IS NULL OR started_at < requested_at) AS requested
       FROM project_sync WHERE project_id = $1`,
      [projectId],
    );
    return row?.requested ?? false;
  }

  /** A full sync's checkpoint: status `syncing`, where to resume stored. */
  async saveRun(projectId: string, run: FullSyncRun): Promise<void> {
    await this.db.query(`UPDATE project_sync SET status = $2, run = $3::jsonb WHERE project_id = $1`, [
      projectId,
      SyncStatus.Syncing,
      JSON.stringify(run),
    ]);
  }

  /**
   * A sync completed: `lastSyncedAt` now, the watermark moved up to
   * `coveredFrom` (never back). A full run that completed clears its checkpoint.
   * Status `idle` and no error, unless an unfinished full run owns the status
   * (it is `syncing`, or `error` with its reason, until it completes). Notion
   * took the token: a rejection recorded earlier no longer holds.
   */
  async completed(projectId: string, coveredFrom: Date, fullRunDone: boolean): Promise<void> {
    await this.db.query(
      `UPDATE project_sync SET
         status = CASE WHEN $3 OR run IS NULL THEN 'idle' ELSE status END,
         last_error = CASE WHEN $3 OR run IS NULL THEN NULL ELSE last_error END,
         last_synced_at = now(),
         token_rejected_at = NULL,
         watermark = greatest(watermark, $2),
         run = CASE WHEN $3 THEN NULL ELSE run END
       WHERE project_id = $1`,
      [projectId, coveredFrom, fullRunDone],
    );
  }

  /** Remembers the schema fingerprints of the project's data sources. */
  async saveSchemas(projectId: string, schemas: Readonly<Record<string, string>>): Promise<void> {
    await this.db.query(`UPDATE project_sync SET schemas = $2::jsonb WHERE project_id = $1`, [
      projectId,
      JSON.stringify(schemas),
    ]);
  }

  /** The sync failed for good: status `error` with a message for people (never a stack trace). */
  async failed(projectId: string, message: string): Promise<void> {
    await this.db.query(`UPDATE project_sync SET status = 'error', last_error = $2 WHERE project_id = $1`, [
      projectId,
      message.slice(0, 500),
    ]);
  }

  /**
   * A full-sync job failed for good, whether its run began or not (its lock
   * connection refused, say): as `failed`, and `failed_at` now, which
   * answers the requests dated before it: the project reads `error`, not
   * `queued` (nothing would take them up), until a newer request. A request
   * made while the job ran left a follow-up job: it reads `error` too, until
   * that job's run begins (`syncing`). Failures of other jobs answer no
   * request: the requested full sync is still on its way.
   */
  async fullSyncFailed(projectId: string, message: string): Promise<void> {
    await this.db.query(
      `UPDATE project_sync SET status = 'error', last_error = $2, failed_at = now() WHERE project_id = $1`,
      [projectId, message.slice(0, 500)],
    );
  }

  /**
   * Asks for a full sync from now (the database clock). Pass the manager of a
   * transaction that changes what the sync would see (a new token), so the
   * request commits with it. Dated by `clock_timestamp()`, not by the
   * transaction's start, and after the sync row is locked (until the
   * commit): a run whose start (`beginFullSync`, an update of that row) is
   * dated later waited for this transaction and reads what it committed. A
   * request is never taken up by a run that did not see it.
   */
  async requestFullSync(projectId: string, manager?: EntityManager): Promise<void> {
    if (!manager) return this.db.transaction((m) => this.requestFullSync(projectId, m));
    await manager.query(`SELECT 1 FROM project_sync WHERE project_id = $1 FOR NO KEY UPDATE`, [projectId]);
    await manager.query(`UPDATE project_sync SET requested_at = clock_timestamp() WHERE project_id = $1`, [projectId]);
  }

  /** A new project: its sync state, asking for its first full sync, commits with it. */
  async created(projectId: string, manager: EntityManager): Promise<void> {
    await manager.query(`INSERT INTO project_sync (project_id) VALUES ($1)`, [projectId]);
  }

  /** A new Notion token may see more (or less): a full sync under it, in the token's transaction. */
  notionTokenChanged(projectId: string, manager: EntityManager): Promise<void> {
    return this.requestFullSync(projectId, manager);
  }

  /**
   * Page bodies turned on: a full sync, whose end starts the content backfill
   * (and clears a content error, so the capability is tried again).
   */
  async contentSyncEnabled(projectId: string, manager: EntityManager): Promise<void> {
    await manager.query(`UPDATE project_sync SET content_error = NULL, content_error_at = NULL WHERE project_id = $1`, [
      projectId,
    ]);
    await this.requestFullSync(projectId, manager);
  }

  /**
   * Why the project's page bodies cannot be read (the integration lacks the
   * read-content capability), apart from the sync status: properties keep
   * syncing. Null clears it (a body was read).
   */
  async setContentError(projectId: string, error: string | null): Promise<void> {
    await this.db.query(
      `UPDATE project_sync SET content_error = $2, content_error_at = CASE WHEN $2::text IS NULL THEN NULL ELSE now() END
       WHERE project_id = $1 AND content_error IS DISTINCT FROM $2::text`,
      [projectId, error],
    );
  }

  /**
   * Moves the project's live page count by `delta` (pages the write made live,
   * less those it tombstoned), in the mirror's transaction that changed them:
   * a count(*) per write would cost a scan of the project's mirror.
   */
  async addPages(projectId: string, delta: number, manager: EntityManager): Promise<void> {
    if (delta === 0) return;
    await manager.query(`UPDATE project_sync SET page_count = page_count + $2 WHERE project_id = $1`, [
      projectId,
      delta,
    ]);
  }

  /**
   * Notion rejected the project's token in a job that started at `jobStartedAt`:
   * status `error` with the message, and the project's scheduled syncs stop
   * (the caller removes its job schedulers; `scheduledProjectIds` leaves it
   * out) until a full sync is requested after that moment (a new token, or
   * the owner's request, which re-create them) or a sync completes. Returns
   * whether they stop: not when a request came while the job ran (that
   * request's own run, with what it asked for, decides).
   */
  async tokenRejected(projectId: string, message: string, jobStartedAt: Date): Promise<boolean> {
    const { rows } = await modifyRows<{ halted: boolean }>(
      this.db,
      `UPDATE project_sync SET status = 'error', last_error = $2,
         token_rejected_at = greatest(token_rejected_at, $3)
       WHERE project_id = $1
       RETURNING ${HALTED} AS halted`,
      [projectId, message.slice(0, 500), jobStartedAt],
    );
    return rows[0]?.halted ?? false;
  }

  /**
   * Retention purges tombstones up to `version` (a decimal bigint): moves the
   * project's purge watermark up to it (never back). Call it before the rows
   * are deleted, so a reader that misses a tombstone always sees a watermark
   * that covers it.
   */
  async advancePurgeWatermark(projectId: string, version: string): Promise<void> {
    await this.db.query(
      `UPDATE project_sync SET purged_version = greatest(purged_version, $2::bigint)
       WHERE project_id = $1 AND purged_version < $2::bigint`,
      [projectId, version],
    );
  }

  /**
   * The greatest change-feed version among the project's purged tombstones
   * ('0' when none was purged, or the project is gone). A change-feed client
   * behind it missed a deletion. Read it after the feed's rows (see
   * `advancePurgeWatermark`). Only a version number: safe for the read API,
   * once the caller checked that the project is the reader's.
   */
  async purgeWatermark(projectId: string): Promise<string> {
    const [row] = await selectRows<{ version: string }>(
      this.db,
      `SELECT purged_version::text AS version FROM project_sync WHERE project_id = $1`,
      [projectId],
    );
    return row?.version ?? '0';
  }
}
