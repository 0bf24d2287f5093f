import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { BusEvent, type ProjectSyncRequestedEvent } from '@app/contracts';
import { SyncRequestDispatcher } from './sync-request.dispatcher.js';

@Controller()
export class ProjectSyncController {
  private readonly logger = new Logger(ProjectSyncController.name);

  constructor(private readonly dispatcher: SyncRequestDispatcher) {}

  /** A failure is only logged: the request stays pending in Postgres and the relay enqueues it. */
  @EventPattern(BusEvent.ProjectSyncRequested)
  async onSyncRequested(@Payload() event: ProjectSyncRequestedEvent): Promise<void> {
    try {
      await this.dispatcher.dispatch(event.projectId, event.correlationId);
    } catch (err) {
      this.logger.warn({
        msg: `Sync request left to the relay: ${(err as Error).message}`,
        projectId: event.projectId,
        correlationId: event.correlationId,
      });
    }
  }
}
