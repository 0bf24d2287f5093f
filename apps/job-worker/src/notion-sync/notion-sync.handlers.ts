import { Injectable, Logger } from '@nestjs/common';
import { JobName, type JobPayloads } from '@app/contracts';
import { NotionEventHandlerRegistry } from '@app/extensions';
import { InboxService } from '@app/inbox';
import { SyncEngine, type SyncOutcome } from '@app/sync';
import { SyncSchedulers } from './sync-schedulers.js';

/** What a handler returns is kept as the job's return value (small: ids and counts). */
export interface JobOutcome {
  /** Deliveries this run covered and marked processed. */
  readonly processedDeliveries: number;
  readonly pagesWritten?: number;
  readonly tombstoned?: number;
  /** Why the job did nothing (the project was deleted, another run holds the lock...). */
  readonly skipped?: string;
}

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
  ) {}

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
    return this.settle(data.projectId, await this.engine.syncPage(data.projectId, data.pageId, data.correlationId));
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

  /** A job for a deleted project stops the project's schedules: nothing is left to sync. */
  private async settle(projectId: string, outcome: SyncOutcome): Promise<JobOutcome> {
    const { projectDeleted, ...result } = outcome;
    if (projectDeleted) await this.schedulers.remove(projectId);
    return result;
  }
}
