import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { BusEvent, type NotionWebhooksReceivedEvent } from '@app/contracts';
import { NotionEventsService } from './notion-events.service.js';

@Controller()
export class NotionEventsController {
  constructor(private readonly events: NotionEventsService) {}

  @EventPattern(BusEvent.NotionWebhooksReceived)
  async onWebhooksReceived(@Payload() event: NotionWebhooksReceivedEvent): Promise<void> {
    await this.events.dispatch(event);
  }
}
