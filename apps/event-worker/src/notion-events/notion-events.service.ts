import { Injectable } from '@nestjs/common';
import type { NotionWebhookReceivedEvent } from '@app/contracts';
import { DeliveryDispatcher } from './delivery-dispatcher.js';

/** Handles the transport's signal that a delivery is in the inbox. */
@Injectable()
export class NotionEventsService {
  constructor(private readonly dispatcher: DeliveryDispatcher) {}

  async dispatch(event: NotionWebhookReceivedEvent): Promise<void> {
    await this.dispatcher.dispatch(event.deliveryId);
  }
}
