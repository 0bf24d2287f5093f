import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { SyncStatus } from './project.js';
import type { FullSyncRun, SyncRequest, SyncTarget } from './project-sync.js';
import { ProjectEntity } from './project.entity.js';
import { SecretBox } from './secret-box.js';

/**
 * The workers' side of a project: its decrypted token and its sync state. Not
 * owner-scoped (jobs act for the system, identified by project id); nothing
 * here is reachable from the public API.
 */
/**
 * A timestamptz as exact text (microseconds): a JS Date keeps milliseconds, and
 * a request marked enqueued with a truncated time would stay pending forever.
 */
const EXACT = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

@Injectable()
export class ProjectSyncStore {
  constructor(
    @InjectRepository(ProjectEntity) private readonly repo: Repository<ProjectEntity>,
    private readonly secrets: SecretBox,
  ) {}

  /** The project's Notion binding and sync state; undefined once the project is deleted. */
  async target(projectId: string): Promise<SyncTarget | undefined> {
    const row = await this.repo.findOneBy({ id: projectId });
    if (!row) return undefined;
    return {
      projectId,
      notionDatabaseId: row.notionDatabaseId,
      notionToken: this.secrets.open(
        { keyId: row.notionTokenKeyId, ciphertext: row.notionTokenCiphertext },
        `${projectId}:notion-token`,
      ),
      watermark: row.syncWatermark,
      run: row.syncRun,
      requestedAt: row.syncRequestedAt,
      schemas: row.syncSchemas ?? {},
    };
  }

  /** Requested full syncs not yet enqueued, requested before `requestedBefore` (oldest first). */
  async pendingRequests(requestedBefore: Date, limit: number): Promise<SyncRequest[]> {
    const rows = (await this.repo.query(
      `SELECT id, ${EXACT('sync_requested_at')} AS requested_at FROM projects
       WHERE sync_requested_at IS NOT NULL
         AND (sync_enqueued_at IS NULL OR sync_enqueued_at < sync_requested_at)
         AND sync_requested_at < $1
       ORDER BY sync_requested_at LIMIT $2`,
      [requestedBefore, limit],
    )) as Array<{ id: string; requested_at: string }>;
    return rows.map((r) => ({ projectId: r.id, requestedAt: r.requested_at }));
  }

  /** The request of `projectId` as it stands, if one is waiting to be enqueued. */
  async pendingRequest(projectId: string): Promise<SyncRequest | undefined> {
    const [row] = (await this.repo.query(
      `SELECT ${EXACT('sync_requested_at')} AS requested_at FROM projects
       WHERE id = $1 AND sync_requested_at IS NOT NULL
         AND (sync_enqueued_at IS NULL OR sync_enqueued_at < sync_requested_at)`,
      [projectId],
    )) as Array<{ requested_at: string }>;
    return row ? { projectId, requestedAt: row.requested_at } : undefined;
  }

  /** The request up to `requestedAt` is in the queue (a newer request stays pending). */
  async markEnqueued(request: SyncRequest): Promise<void> {
    await this.repo.query(
      `UPDATE projects SET sync_enqueued_at = $2::timestamptz
       WHERE id = $1 AND (sync_enqueued_at IS NULL OR sync_enqueued_at < $2::timestamptz)`,
      [request.projectId, request.requestedAt],
    );
  }

  /** Every project id, in pages (to re-create job schedulers at startup). */
  async projectIds(after: string | null, limit: number): Promise<string[]> {
    const query = this.repo.createQueryBuilder('p').select('p.id').orderBy('p.id', 'ASC').limit(limit);
    if (after) query.where('p.id > :after', { after });
    return (await query.getMany()).map((r) => r.id);
  }

  /** A full sync begins (or resumes): status `syncing`, the run's checkpoint stored. */
  async saveRun(projectId: string, run: FullSyncRun): Promise<void> {
    await this.repo.query(`UPDATE projects SET sync_status = $2, sync_run = $3::jsonb WHERE id = $1`, [
      projectId,
      SyncStatus.Syncing,
      JSON.stringify(run),
    ]);
  }

  /**
   * A sync completed: `lastSyncedAt` now, the watermark moved up to
   * `coveredFrom` (never back). A full run that completed clears its checkpoint.
   * Status `idle` and no error, unless an unfinished full run owns the status
   * (it is `syncing`, or `error` with its reason, until it completes).
   */
  async completed(projectId: string, coveredFrom: Date, fullRunDone: boolean): Promise<void> {
    await this.repo.query(
      `UPDATE projects SET
         sync_status = CASE WHEN $3 OR sync_run IS NULL THEN 'idle' ELSE sync_status END,
         sync_last_error = CASE WHEN $3 OR sync_run IS NULL THEN NULL ELSE sync_last_error END,
         sync_last_synced_at = now(),
         sync_watermark = greatest(sync_watermark, $2),
         sync_run = CASE WHEN $3 THEN NULL ELSE sync_run END
       WHERE id = $1`,
      [projectId, coveredFrom, fullRunDone],
    );
  }

  /** Remembers the schema fingerprints of the project's data sources. */
  async saveSchemas(projectId: string, schemas: Readonly<Record<string, string>>): Promise<void> {
    await this.repo.query(`UPDATE projects SET sync_schemas = $2::jsonb WHERE id = $1`, [
      projectId,
      JSON.stringify(schemas),
    ]);
  }

  /** The sync failed for good: status `error` with a message for people (never a stack trace). */
  async failed(projectId: string, message: string): Promise<void> {
    await this.repo.query(`UPDATE projects SET sync_status = 'error', sync_last_error = $2 WHERE id = $1`, [
      projectId,
      message.slice(0, 500),
    ]);
  }

  /**
   * Retention purges tombstones up to `version` (a decimal bigint): moves the
   * project's purge watermark up to it (never back). Call it before the rows
   * are deleted, so a reader that misses a tombstone always sees a watermark
   * that covers it.
   */
  async advancePurgeWatermark(projectId: string, version: string): Promise<void> {
    await this.repo.query(
      `UPDATE projects SET sync_purged_version = greatest(sync_purged_version, $2::bigint)
       WHERE id = $1 AND sync_purged_version < $2::bigint`,
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
    const [row] = (await this.repo.query(`SELECT sync_purged_version::text AS version FROM projects WHERE id = $1`, [
      projectId,
    ])) as Array<{ version: string }>;
    return row?.version ?? '0';
  }
}
