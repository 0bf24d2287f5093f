import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { BusEvent, type NotionWebhookReceivedEvent } from '@app/contracts';
import { NotionEventsService } from './notion-events.service.js';

@Controller()
export class NotionEventsController {
  constructor(private readonly events: NotionEventsService) {}

  @EventPattern(BusEvent.NotionWebhookReceived)
  async onWebhookReceived(@Payload() event: NotionWebhookReceivedEvent): Promise<void> {
    await this.events.dispatch(event);
  }
}
