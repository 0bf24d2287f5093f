import { Injectable, Logger } from '@nestjs/common';
import { JobName, type JobPayloads } from '@app/contracts';
import { NotionEventHandlerRegistry } from '@app/extensions';
import { InboxService } from '@app/inbox';
import { JobQueue } from '@app/messaging';
import { ContentSync, SyncEngine, type ContentOutcome, type SyncOutcome } from '@app/sync';
import { SyncSchedulers } from './sync-schedulers.js';

/** What a handler returns is kept as the job's return value (small: ids and counts). */
export interface JobOutcome {
  /** Deliveries this run covered and marked processed. */
  readonly processedDeliveries: number;
  readonly pagesWritten?: number;
  readonly tombstoned?: number;
  /** Why the job did nothing (the project was deleted, another run holds the lock...). */
  readonly skipped?: string;
  /** Page bodies fetched, and those that changed. */
  readonly contentFetched?: number;
  readonly contentChanged?: number;
}

/**
 * BullMQ priority of content backfills: after every job without one (webhook
 * pages, bodies, syncs), so a backfill never takes a worker slot from them.
 */
export const BACKFILL_PRIORITY = 10;

type Handlers = { readonly [J in JobName]: (data: JobPayloads[J]) => Promise<JobOutcome> };

/**
 * The work behind each job name. The mapped type makes a job name without a
 * handler a compile error, so no job can be silently dropped. Sync jobs mark
 * processed every delivery about their entity received before their fetch
 * started (see SyncEngine).
 */
@Injectable()
export class NotionSyncHandlers implements Handlers {
  private readonly logger = new Logger(NotionSyncHandlers.name);

  constructor(
    private readonly inbox: InboxService,
    private readonly extensions: NotionEventHandlerRegistry,
    private readonly engine: SyncEngine,
    private readonly schedulers: SyncSchedulers,
    private readonly content: ContentSync,
    private readonly jobs: JobQueue,
  ) {}

  /** The app is stopping: long jobs (content backfills) end early, leaving a follow-up. */
  stopping(): void {
    this.content.stop();
  }

  /** One extension handler for one delivery; the last handler to finish marks it processed. */
  async [JobName.RunEventHandler](data: JobPayloads[JobName.RunEventHandler]): Promise<JobOutcome> {
    const delivery = await this.inbox.find(data.deliveryId);
    if (!delivery) return { processedDeliveries: 0 }; // its project was deleted
    await this.extensions.run(data.handler, {
      deliveryId: delivery.id,
      projectId: delivery.projectId,
      eventType: delivery.eventType,
      entity: delivery.entityId && delivery.entityType ? { id: delivery.entityId, type: delivery.entityType } : null,
      payload: delivery.payload,
      correlationId: delivery.correlationId,
    });
    await this.inbox.handlerSucceeded(delivery.id);
    return { processedDeliveries: 1 };
  }

  async [JobName.SyncPage](data: JobPayloads[JobName.SyncPage]): Promise<JobOutcome> {
    const outcome = await this.engine.syncPage(data.projectId, data.pageId, data.correlationId);
    // A new page's body (`page.created`): its own job, coalesced and throttled per page.
    if (outcome.contentWanted) await this.addQuietly(JobName.SyncPageContent, data);
    return this.settle(data.projectId, outcome);
  }

  async [JobName.SyncPageContent](data: JobPayloads[JobName.SyncPageContent]): Promise<JobOutcome> {
    return this.settleContent(
      data.projectId,
      await this.content.syncPage(data.projectId, data.pageId, data.correlationId),
    );
  }

  async [JobName.ContentBackfill](data: JobPayloads[JobName.ContentBackfill]): Promise<JobOutcome> {
    const outcome = await this.content.backfill(data.projectId, data.correlationId, data.after);
    // Added while this job is active: deduplication keeps it as the one follow-up.
    if (outcome.more) await this.backfill(data.projectId, data.correlationId, outcome.more.after);
    return this.settleContent(data.projectId, outcome);
  }

  async [JobName.SyncDatabase](data: JobPayloads[JobName.SyncDatabase]): Promise<JobOutcome> {
    return this.settle(
      data.projectId,
      await this.engine.incremental(data.projectId, data.entityId, data.correlationId),
    );
  }

  async [JobName.FullSync](data: JobPayloads[JobName.FullSync]): Promise<JobOutcome> {
    return this.settle(data.projectId, await this.engine.full(data.projectId, data.correlationId));
  }

  /**
   * A job for a deleted project stops the project's schedules: nothing is left
   * to sync. A full or incremental sync of a project that mirrors bodies ends
   * with a content backfill (it finds the pages whose body is missing or old).
   */
  private async settle(projectId: string, outcome: SyncOutcome): Promise<JobOutcome> {
    const { projectDeleted, contentWanted: _page, backfillWanted, ...result } = outcome;
    if (projectDeleted) await this.schedulers.remove(projectId);
    if (backfillWanted) await this.backfill(projectId, `backfill-${projectId}`);
    return result;
  }

  private async settleContent(projectId: string, outcome: ContentOutcome): Promise<JobOutcome> {
    if (outcome.projectDeleted) await this.schedulers.remove(projectId);
    return {
      processedDeliveries: 0,
      contentFetched: outcome.fetched,
      contentChanged: outcome.changed,
      ...(outcome.skipped && { skipped: outcome.skipped }),
    };
  }

  private backfill(projectId: string, correlationId: string, after?: string): Promise<void> {
    return this.addQuietly(
      JobName.ContentBackfill,
      { projectId, correlationId, ...(after && { after }) },
      { priority: BACKFILL_PRIORITY },
    );
  }

  /**
   * Adds a content job after the work of a job that succeeded: a failed add
   * (Redis out of reach) is logged, never the job's failure, which would mark
   * its deliveries failed or put the project in error for work that was done.
   * The next full or reconciling sync's backfill finds any body left behind.
   */
  private async addQuietly<J extends JobName.SyncPageContent | JobName.ContentBackfill>(
    name: J,
    data: JobPayloads[J],
    options: { priority?: number } = {},
  ): Promise<void> {
    try {
      await this.jobs.addDeduplicated(name, data, 0, options);
    } catch (err) {
      this.logger.warn({
        msg: 'Content job not added; a later sync backfills it',
        job: name,
        reason: (err as Error).message,
      });
    }
  }
}
