import { Module } from '@nestjs/common';
import { DeadLettersModule } from '@app/dead-letters';
import { InboxModule } from '@app/inbox';
import { NotionModule } from '@app/notion';
import { SyncModule } from '@app/sync';
import { NotionSyncHandlers } from './notion-sync.handlers.js';
import { NotionSyncProcessor } from './notion-sync.processor.js';
import { SyncSchedulers } from './sync-schedulers.js';

@Module({
  imports: [DeadLettersModule, InboxModule, NotionModule, SyncModule],
  providers: [SyncSchedulers, NotionSyncHandlers, NotionSyncProcessor],
})
export class NotionSyncModule {}
