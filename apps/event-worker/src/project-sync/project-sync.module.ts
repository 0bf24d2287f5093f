import { Module } from '@nestjs/common';
import { ProjectsModule } from '@app/projects';
import { ProjectSyncController } from './project-sync.controller.js';
import { SyncRequestDispatcher } from './sync-request.dispatcher.js';
import { SyncRequestRelay } from './sync-request.relay.js';

/** Requested full syncs and each project's job schedulers. */
@Module({
  imports: [ProjectsModule],
  controllers: [ProjectSyncController],
  providers: [SyncRequestDispatcher, SyncRequestRelay],
})
export class ProjectSyncModule {}
