import { Module } from '@nestjs/common';
import { InboxModule } from '@app/inbox';
import { NotionSyncHandlers } from './notion-sync.handlers.js';
import { NotionSyncProcessor } from './notion-sync.processor.js';

@Module({
  imports: [InboxModule],
  providers: [NotionSyncHandlers, NotionSyncProcessor],
})
export class NotionSyncModule {}
