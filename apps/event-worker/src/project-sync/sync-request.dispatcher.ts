import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { JobName, QueueName, syncIds } from '@app/contracts';
import { JobQueue } from '@app/messaging';
import { ProjectSyncStore, type SyncRequest } from '@app/sync';

/**
 * Turns a project's requested full sync (held in Postgres) into a job, and
 * makes sure the project's two job schedulers exist (a request is also what
 * starts them again after Notion rejected the project's token). Every replica may run it
 * for the same request: the full sync is deduplicated per project (requests
 * while one waits are absorbed by it; requests while one runs leave exactly
 * one follow-up), and upserting a scheduler is idempotent.
 */
@Injectable()
export class SyncRequestDispatcher {
  private readonly logger = new Logger(SyncRequestDispatcher.name);

  constructor(
    private readonly config: AppConfig,
    private readonly store: ProjectSyncStore,
    private readonly queue: JobQueue,
  ) {}

  /** Enqueues the project's pending request, if it has one; returns whether it did. */
  async dispatch(projectId: string, correlationId: string): Promise<boolean> {
    const request = await this.store.pendingRequest(projectId);
    if (!request) return false;
    await this.enqueue(request, correlationId);
    return true;
  }

  async enqueue(request: SyncRequest, correlationId: string): Promise<void> {
    const { projectId } = request;
    // Schedules first: should the requested run find the token still refused,
    // it stops them, and must find them there to do so.
    await this.ensureSchedulers(projectId, { replace: true });
    // While a run waits, a request is absorbed by it; while one runs, one
    // follow-up is kept (the running one may have read past what changed, or
    // hold the old token).
    await this.queue.addDeduplicated(JobName.FullSync, { projectId, correlationId });
    await this.store.markEnqueued(request);
    this.logger.log({ msg: 'Full sync enqueued', projectId, correlationId });
  }

  /**
   * The reconcile scheduler (incremental sync every SYNC_RECONCILE_INTERVAL_SECONDS)
   * and the full-sync scheduler (every SYNC_FULL_INTERVAL_SECONDS, first one
   * interval from now: the requested full sync runs now). With `replace: false`
   * only missing schedulers are created, so a restart does not move them.
   */
  async ensureSchedulers(projectId: string, { replace }: { replace: boolean }): Promise<void> {
    const ids = syncIds(projectId);
    const { reconcileIntervalSeconds, fullIntervalSeconds } = this.config.sync;
    const scheduled = 'scheduled';
    if (replace || !(await this.queue.hasScheduler(QueueName.NotionSync, ids.reconcileScheduler))) {
      await this.queue.upsertScheduler(
        ids.reconcileScheduler,
        reconcileIntervalSeconds * 1000,
        JobName.SyncDatabase,
        { projectId, entityId: projectId, correlationId: scheduled },
        new Date(Date.now() + reconcileIntervalSeconds * 1000),
      );
    }
    if (replace || !(await this.queue.hasScheduler(QueueName.NotionSync, ids.fullSyncScheduler))) {
      await this.queue.upsertScheduler(
        ids.fullSyncScheduler,
        fullIntervalSeconds * 1000,
        JobName.FullSync,
        { projectId, correlationId: scheduled },
        new Date(Date.now() + fullIntervalSeconds * 1000),
      );
    }
  }
}
