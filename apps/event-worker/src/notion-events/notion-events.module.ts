import { Module } from '@nestjs/common';
import { InboxModule } from '@app/inbox';
import { RelayService } from '../relay/relay.service.js';
import { DeliveryDispatcher } from './delivery-dispatcher.js';
import { NotionEventsController } from './notion-events.controller.js';
import { NotionEventsService } from './notion-events.service.js';

@Module({
  imports: [InboxModule],
  controllers: [NotionEventsController],
  providers: [NotionEventsService, DeliveryDispatcher, RelayService],
})
export class NotionEventsModule {}
