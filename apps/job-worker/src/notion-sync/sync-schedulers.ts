import { Injectable } from '@nestjs/common';
import { QueueName, syncIds } from '@app/contracts';
import { JobQueue } from '@app/messaging';

/**
 * Stops a project's scheduled syncs: its two job schedulers (reconcile and
 * full sync) and the next job each had programmed. The event-worker creates
 * them (on a sync request, and when it repairs what Redis lost).
 */
@Injectable()
export class SyncSchedulers {
  constructor(private readonly queue: JobQueue) {}

  /** For a deleted project, or one whose token Notion rejected. */
  async remove(projectId: string): Promise<void> {
    const ids = syncIds(projectId);
    await this.queue.removeScheduler(QueueName.NotionSync, ids.reconcileScheduler);
    await this.queue.removeScheduler(QueueName.NotionSync, ids.fullSyncScheduler);
  }
}
