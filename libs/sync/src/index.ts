export { CONTENT_REFUSED, ContentSync, type ContentOutcome } from './content/content-sync.js';
export type { ContentWrite } from './content/content.writer.js';
export type { PageBody, TruncatedReason, UnknownBlockReason } from './content/page-body.js';
export { DataSourceSchemaStore } from './data-source-schema.store.js';
export { FileRefresher, type RefreshOutcome } from './files/file-refresher.js';
export { FileUrlCache, type FileSource } from './files/file-url-cache.js';
export { FullSyncLock, type HeldLock } from './full-sync-lock.js';
export type { MirrorRow } from './mirror-row.js';
export { MirrorRetention, type ExpiredTombstone } from './mirror.retention.js';
export { MirrorWriter, type MirrorWrite } from './mirror.writer.js';
export {
  SyncStatus,
  type FullSyncRun,
  type ProjectSyncView,
  type StoredSyncStatus,
  type SyncRequest,
  type SyncState,
  type SyncTarget,
} from './project-sync.js';
export { ProjectSyncStore } from './project-sync.store.js';
export { FullSyncBusyError, SyncEngine, type SyncOutcome } from './sync-engine.js';
export { FileRefreshModule, SyncModule, SyncStateModule } from './sync.module.js';
