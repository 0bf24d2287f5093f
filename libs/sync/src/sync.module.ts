import { Global, Module } from '@nestjs/common';
import { InboxModule } from '@app/inbox';
import { FeedAnnouncer } from '@app/messaging';
import { NotionModule } from '@app/notion';
import { ProjectHooks, ProjectsModule } from '@app/projects';
import { ContentSync } from './content/content-sync.js';
import { ContentWriter } from './content/content.writer.js';
import { DataSourceSchemaStore } from './data-source-schema.store.js';
import { FileRefresher } from './files/file-refresher.js';
import { FileUrlCache } from './files/file-url-cache.js';
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
    FileUrlCache,
    // The writers' announcements to the gateways' live streams (a connection opened on the first).
    FeedAnnouncer,
  ],
  exports: [ProjectSyncStore, ProjectHooks, MirrorWriter, MirrorRetention, FileUrlCache, FeedAnnouncer],
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
  providers: [SyncEngine, FullSyncLock, DataSourceSchemaStore, ContentWriter, ContentSync],
  exports: [SyncEngine, ContentSync],
})
export class SyncModule {}

/**
 * File links' refresh (the gateway): fresh signed URLs from Notion for a
 * page's files, into the URL cache. Needs what `SyncModule` needs.
 */
@Module({
  imports: [SyncStateModule, ProjectsModule, NotionModule],
  providers: [FileRefresher],
  exports: [FileRefresher],
})
export class FileRefreshModule {}
