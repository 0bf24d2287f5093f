import { Global, Module } from '@nestjs/common';
import { InboxModule } from '@app/inbox';
import { NotionModule } from '@app/notion';
import { ProjectHooks, ProjectsModule } from '@app/projects';
import { DataSourceSchemaStore } from './data-source-schema.store.js';
import { FullSyncLock } from './full-sync-lock.js';
import { MirrorRetention } from './mirror.retention.js';
import { MirrorWriter } from './mirror.writer.js';
import { ProjectSyncStore } from './project-sync.store.js';
import { SyncEngine } from './sync-engine.js';

/**
 * The sync domain's state and its only writers: `ProjectSyncStore` (each
 * project's sync state), `MirrorWriter` and `MirrorRetention` (the mirrored
 * pages). Global, because it also provides `ProjectHooks` to libs/projects
 * (a project's sync state commits with the project's own changes) without
 * libs/projects importing this lib. Every app that imports `ProjectsModule`
 * imports this one too. Needs `DatabaseModule.forRoot()`.
 */
@Global()
@Module({
  providers: [
    ProjectSyncStore,
    { provide: ProjectHooks, useExisting: ProjectSyncStore },
    MirrorWriter,
    MirrorRetention,
  ],
  exports: [ProjectSyncStore, ProjectHooks, MirrorWriter, MirrorRetention],
})
export class SyncStateModule {}

/**
 * The sync engine (one page, incremental, full) with its full-sync lock, for
 * the job-worker's processor. Imports `SyncStateModule` itself; needs
 * `DatabaseModule.forRoot()`, `ConfigModule.forRoot()`, metrics and the Notion
 * rate limiter's Redis as `NotionModule` does.
 */
@Module({
  imports: [SyncStateModule, ProjectsModule, InboxModule, NotionModule],
  providers: [SyncEngine, FullSyncLock, DataSourceSchemaStore],
  exports: [SyncEngine],
})
export class SyncModule {}
