export { DataSourceSchemaStore } from './data-source-schema.store.js';
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
export { SyncModule, SyncStateModule } from './sync.module.js';
