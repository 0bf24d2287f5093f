import { Injectable, Logger } from '@nestjs/common';
import type { NotionWebhooksReceivedEvent } from '@app/contracts';
import { DeliveryDispatcher } from './delivery-dispatcher.js';

/** Handles the transport's signal that deliveries are in the inbox. */
@Injectable()
export class NotionEventsService {
  private readonly logger = new Logger(NotionEventsService.name);

  constructor(private readonly dispatcher: DeliveryDispatcher) {}

  /**
   * Dispatches each delivery of the signal, all at once as if each had come
   * alone; one that fails stays `received`, for the relay, and spoils none of the others.
   */
  async dispatch(event: NotionWebhooksReceivedEvent): Promise<void> {
    const deliveries = Array.isArray(event?.deliveries) ? event.deliveries : [];
    const results = await Promise.allSettled(deliveries.map((d) => this.dispatcher.dispatch(d.deliveryId)));
    results.forEach((result, i) => {
      if (result.status === 'rejected') {
        const { deliveryId, correlationId } = deliveries[i]!;
        this.logger.warn({
          msg: `Dispatch failed, left to the relay: ${(result.reason as Error)?.message}`,
          deliveryId,
          correlationId,
        });
      }
    });
  }
}
