import { Injectable, Logger } from '@nestjs/common';
import type { NotionWebhooksReceivedEvent } from '@app/contracts';
import { DeliveryDispatcher } from './delivery-dispatcher.js';

/** Handles the transport's signal that deliveries are in the inbox. */
@Injectable()
export class NotionEventsService {
  private readonly logger = new Logger(NotionEventsService.name);

  constructor(private readonly dispatcher: DeliveryDispatcher) {}

  /**
   * Dispatches the signal's deliveries as one batch (one claim, one mark);
   * one that fails stays `received`, for the relay, and spoils none of the others.
   */
  async dispatch(event: NotionWebhooksReceivedEvent): Promise<void> {
    const deliveries = Array.isArray(event?.deliveries) ? event.deliveries : [];
    try {
      await this.dispatcher.dispatchMany(deliveries.map((d) => d.deliveryId));
    } catch (err) {
      // The claim failed: nothing was taken, so the relay finds all of them.
      for (const { deliveryId, correlationId } of deliveries) {
        this.logger.warn({
          msg: `Dispatch failed, left to the relay: ${(err as Error)?.message}`,
          deliveryId,
          correlationId,
        });
      }
    }
  }
}
