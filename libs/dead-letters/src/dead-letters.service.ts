import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { asJobItem, jobSubject } from '@app/contracts';
import { exactTimestamp, modifyRows, pruneBatch, selectRows } from '@app/database';
import type { FailedJob, PendingRetry, SyncFailureView } from './sync-failure.js';

interface FailureRow {
  id: string;
  job_name: string;
  entity_id: string | null;
  reason: string;
  attempts: number;
  failed_at: Date;
  retry_requested_at: Date | null;
  retried_at: Date | null;
}

const toView = (r: FailureRow): SyncFailureView => ({
  id: r.id,
  job: r.job_name,
  entityId: r.entity_id,
  reason: r.reason,
  attempts: r.attempts,
  failedAt: r.failed_at,
  retryRequestedAt: r.retry_requested_at,
  retriedAt: r.retried_at,
});

/**
 * Dead letters (`sync_failures`): the job-worker records jobs that failed for
 * good; the owner lists them and asks for retries; the event-worker carries
 * retries out. Callers check ownership before calling the project-scoped reads.
 */
@Injectable()
export class DeadLetters {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Records a job that failed for good (once per job: a job failing again updates its record). */
  async record(job: FailedJob): Promise<void> {
    await this.db.query(
      `INSERT INTO sync_failures (project_id, job_name, job_id, job_data, entity_id, reason, attempts)
       SELECT $1, $2, $3, $4::jsonb, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM projects WHERE id = $1)
       ON CONFLICT (job_id) DO UPDATE SET reason = EXCLUDED.reason, attempts = EXCLUDED.attempts, failed_at = now()`,
      [
        job.job.data.projectId,
        job.job.name,
        job.jobId,
        JSON.stringify(job.job.data),
        jobSubject(job.job),
        job.reason.slice(0, 2000),
        job.attempts,
      ],
    );
  }

  /** Newest first. */
  async list(projectId: string, limit: number): Promise<SyncFailureView[]> {
    const rows = await selectRows<FailureRow>(
      this.db,
      `SELECT id, job_name, entity_id, reason, attempts, failed_at, retry_requested_at, retried_at
       FROM sync_failures WHERE project_id = $1 ORDER BY failed_at DESC, id DESC LIMIT $2`,
      [projectId, limit],
    );
    return rows.map(toView);
  }

  /** Asks for a retry of one failure; undefined when the project has no such failure. */
  async requestRetry(projectId: string, failureId: string): Promise<SyncFailureView | undefined> {
    const { rows } = await modifyRows<FailureRow>(
      this.db,
      `UPDATE sync_failures SET retry_requested_at = now()
       WHERE project_id = $1 AND id = $2
       RETURNING id, job_name, entity_id, reason, attempts, failed_at, retry_requested_at, retried_at`,
      [projectId, failureId],
    );
    return rows[0] ? toView(rows[0]) : undefined;
  }

  /** Asks for a retry of every failure of a project not retried since it failed; returns how many. */
  async requestRetryAll(projectId: string): Promise<number> {
    const { affected: count } = await modifyRows(
      this.db,
      `UPDATE sync_failures SET retry_requested_at = now()
       WHERE project_id = $1 AND (retried_at IS NULL OR retried_at < failed_at)`,
      [projectId],
    );
    return count;
  }

  /** Retries asked for and not carried out yet, oldest first. */
  async pendingRetries(limit: number): Promise<PendingRetry[]> {
    const rows = await selectRows<{
      id: string;
      project_id: string;
      job_name: string;
      job_id: string;
      job_data: unknown;
      entity_id: string | null;
      requested_at: string;
    }>(
      this.db,
      `SELECT id, project_id, job_name, job_id, job_data, entity_id, ${exactTimestamp('retry_requested_at')} AS requested_at
       FROM sync_failures
       WHERE retry_requested_at IS NOT NULL AND (retried_at IS NULL OR retried_at < retry_requested_at)
       ORDER BY retry_requested_at LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      id: r.id,
      projectId: r.project_id,
      job: asJobItem(r.job_name, r.job_data),
      jobName: r.job_name,
      jobId: r.job_id,
      entityId: r.entity_id,
      requestedAt: r.requested_at,
    }));
  }

  /** The retry asked for at `requestedAt` is enqueued (a later request stays pending). */
  async markRetried(retry: PendingRetry): Promise<void> {
    await this.db.query(
      `UPDATE sync_failures SET retried_at = $2::timestamptz
       WHERE id = $1 AND (retried_at IS NULL OR retried_at < $2::timestamptz)`,
      [retry.id, retry.requestedAt],
    );
  }

  /**
   * Retention: deletes up to `limit` resolved dead letters, oldest first, in
   * one short statement; returns how many. Resolved: a retry was carried out
   * more than `maxAgeDays` ago, none was asked for since, and the job has not
   * failed again since (a retried sync job that fails is a new dead letter; a
   * retried handler job that fails moves `failed_at` past `retried_at`).
   * Dead letters nobody retried stay: they are the owner's to act on.
   */
  pruneResolved(maxAgeDays: number, limit: number): Promise<number> {
    return pruneBatch(
      this.db,
      {
        table: 'sync_failures',
        where: `retried_at >= failed_at AND retried_at >= retry_requested_at
          AND retried_at < now() - make_interval(days => $1::int)`,
        orderBy: 'retried_at',
      },
      [maxAgeDays],
      limit,
    );
  }
}
