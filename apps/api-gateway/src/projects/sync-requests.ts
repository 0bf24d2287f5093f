import { Injectable } from '@nestjs/common';
import { BusEvent } from '@app/contracts';
import { EventBus } from '@app/messaging';

/**
 * Tells the event-worker at once that a project wants a full sync. Fire and
 * forget: the request is already durable in the project's row, and the
 * event-worker's relay enqueues it if this event is lost.
 */
@Injectable()
export class SyncRequests {
  constructor(private readonly bus: EventBus) {}

  notify(projectId: string, correlationId: string): void {
    this.bus.emit(BusEvent.ProjectSyncRequested, { projectId, correlationId });
  }
}
