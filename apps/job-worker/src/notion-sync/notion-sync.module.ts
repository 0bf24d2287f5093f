import { Module } from '@nestjs/common';
import { DeadLettersModule } from '@app/dead-letters';
import { InboxModule } from '@app/inbox';
import { MirrorModule } from '@app/mirror';
import { NotionModule } from '@app/notion';
import { ProjectsModule } from '@app/projects';
import { FullSyncLock } from './full-sync-lock.js';
import { NotionSyncHandlers } from './notion-sync.handlers.js';
import { NotionSyncProcessor } from './notion-sync.processor.js';
import { SyncEngine } from './sync-engine.js';
import { SyncSchedulers } from './sync-schedulers.js';

@Module({
  imports: [DeadLettersModule, InboxModule, MirrorModule, NotionModule, ProjectsModule],
  providers: [FullSyncLock, SyncEngine, SyncSchedulers, NotionSyncHandlers, NotionSyncProcessor],
})
export class NotionSyncModule {}
