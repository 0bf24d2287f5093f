import { Module } from '@nestjs/common';
import { DeadLettersModule } from '@app/dead-letters';
import { InboxModule } from '@app/inbox';
import { SyncStateModule } from '@app/sync';
import { FailureRetryRelay } from './failure-retry.relay.js';
import { ProjectSyncController } from './project-sync.controller.js';
import { SyncRequestDispatcher } from './sync-request.dispatcher.js';
import { SyncRequestRelay } from './sync-request.relay.js';

/** Requested full syncs, each project's job schedulers, and retries of dead letters. */
@Module({
  imports: [DeadLettersModule, InboxModule, SyncStateModule],
  controllers: [ProjectSyncController],
  providers: [FailureRetryRelay, SyncRequestDispatcher, SyncRequestRelay],
})
export class ProjectSyncModule {}
