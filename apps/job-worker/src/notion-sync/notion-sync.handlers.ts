import { Injectable, Logger } from '@nestjs/common';
import { JobName, type JobPayloads } from '@app/contracts';
import { NotionEventHandlerRegistry } from '@app/extensions';
import { InboxService } from '@app/inbox';

/** What a handler returns is kept as the job's return value (small: ids and counts). */
export interface JobOutcome {
  /** Deliveries this run covered and marked processed. */
  readonly processedDeliveries: number;
}

type Handlers = { readonly [J in JobName]: (data: JobPayloads[J]) => Promise<JobOutcome> };

/**
 * The work behind each job name. The mapped type makes a job name without a
 * handler a compile error, so no job can be silently dropped.
 *
 * Placeholders until the sync engine issue: they fetch nothing yet, but mark
 * the deliveries they cover processed, the way the real jobs will: every
 * delivery about the entity received before the (future) fetch started.
 */
@Injectable()
export class NotionSyncHandlers implements Handlers {
  private readonly logger = new Logger(NotionSyncHandlers.name);

  constructor(
    private readonly inbox: InboxService,
    private readonly extensions: NotionEventHandlerRegistry,
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
    return this.cover(JobName.SyncPage, data.projectId, data.pageId, data.correlationId);
  }

  async [JobName.SyncDatabase](data: JobPayloads[JobName.SyncDatabase]): Promise<JobOutcome> {
    return this.cover(JobName.SyncDatabase, data.projectId, data.entityId, data.correlationId);
  }

  /** The placeholder sync: marks processed what a fetch started now would cover. */
  private async cover(job: JobName, projectId: string, entityId: string, correlationId: string): Promise<JobOutcome> {
    const fetchStartedAt = await this.inbox.now();
    const processed = await this.inbox.markProcessedFor(projectId, entityId, fetchStartedAt);
    this.logger.log({ msg: `${job} done (placeholder)`, entityId, processed: processed.length, correlationId });
    return { processedDeliveries: processed.length };
  }
}
