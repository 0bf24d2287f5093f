import { Module } from '@nestjs/common';
import { NotionSyncHandlers } from './notion-sync.handlers.js';
import { NotionSyncProcessor } from './notion-sync.processor.js';

@Module({
  providers: [NotionSyncHandlers, NotionSyncProcessor],
})
export class NotionSyncModule {}
