import { Injectable, Logger } from '@nestjs/common';
import { JobName, type NotionWebhookReceivedEvent } from '@app/contracts';
import { JobQueue } from '@app/messaging';

/**
 * Turns an inbound webhook event into a job.
 *
 * Foundation stage: every event becomes a `sync-database` job for its project.
 * The webhook intake issue replaces this with the inbox claim (lease), the
 * routing registry from Notion event type to job, and coalescing.
 */
@Injectable()
export class NotionEventsService {
  private readonly logger = new Logger(NotionEventsService.name);

  constructor(private readonly jobs: JobQueue) {}

  async dispatch(event: NotionWebhookReceivedEvent): Promise<void> {
    // Every event-worker replica hears every event (pub/sub): a job id fixed by
    // the delivery makes the replicas' adds one job.
    const jobId = await this.jobs.add(
      JobName.SyncDatabase,
      { projectId: event.projectId, deliveryIds: [event.deliveryId], correlationId: event.correlationId },
      { jobId: `delivery-${event.deliveryId}` },
    );
    this.logger.log({
      msg: 'Delivery dispatched',
      jobId,
      deliveryId: event.deliveryId,
      correlationId: event.correlationId,
    });
  }
}
