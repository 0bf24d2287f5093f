import { Module } from '@nestjs/common';
import { NotionEventsController } from './notion-events.controller.js';
import { NotionEventsService } from './notion-events.service.js';

@Module({
  controllers: [NotionEventsController],
  providers: [NotionEventsService],
})
export class NotionEventsModule {}
