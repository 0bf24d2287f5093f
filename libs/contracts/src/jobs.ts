/**
 * BullMQ queues and jobs. Names are a wire format (they live in Redis keys and
 * job records that outlive a deploy): change one only with a migration plan.
 * Job ids and deduplication ids must not contain ':' (BullMQ reserves it).
 */
export enum QueueName {
  NotionSync = 'notion-sync',
}

export enum JobName {
  /** Fetch one page from Notion and upsert (or tombstone) its mirrored row. */
  SyncPage = 'sync-page',
  /**
   * Incremental sync of a project: pages edited since its watermark (less an
   * overlap). Caused by database/data-source events and by each project's
   * reconcile schedule.
   */
  SyncDatabase = 'sync-database',
  /** Full sync of a project: every page of every data source; tombstones what is gone. Resumable. */
  FullSync = 'full-sync',
  /** Run one `@OnNotionEvent()` extension handler for one delivery. */
  RunEventHandler = 'run-event-handler',
}

/**
 * Jobs carry ids, never secrets, and no delivery list: jobs are coalesced per
 * entity (BullMQ deduplication), so a job covers every delivery about its
 * entity received before its fetch started (see InboxService.markProcessedFor).
 */
export interface SyncPageJob {
  readonly projectId: string;
  readonly pageId: string;
  /** Of the delivery that caused the job; logged on every line about it. */
  readonly correlationId: string;
}

export interface SyncDatabaseJob {
  readonly projectId: string;
  /** The database or data source the events were about. */
  readonly entityId: string;
  readonly correlationId: string;
}

export interface FullSyncJob {
  readonly projectId: string;
  readonly correlationId: string;
}

export interface RunEventHandlerJob {
  readonly deliveryId: string;
  readonly projectId: string;
  /** `Class.method` of the handler. */
  readonly handler: string;
  readonly correlationId: string;
}

/** Maps each job name to its data type. */
export interface JobPayloads {
  [JobName.SyncPage]: SyncPageJob;
  [JobName.SyncDatabase]: SyncDatabaseJob;
  [JobName.FullSync]: FullSyncJob;
  [JobName.RunEventHandler]: RunEventHandlerJob;
}

/** The queue each job runs on. */
export const JOB_QUEUE: { readonly [J in JobName]: QueueName } = {
  [JobName.SyncPage]: QueueName.NotionSync,
  [JobName.SyncDatabase]: QueueName.NotionSync,
  [JobName.FullSync]: QueueName.NotionSync,
  [JobName.RunEventHandler]: QueueName.NotionSync,
};

/**
 * Ids that live in Redis (job schedulers, deduplication keys): a wire format.
 * Each project has two schedulers, one for incremental syncs (reconcile) and
 * one for the slow full sync; a full sync is deduplicated per project.
 */
export const syncIds = (projectId: string) =>
  ({
    reconcileScheduler: `reconcile-${projectId}`,
    fullSyncScheduler: `full-sync-${projectId}`,
    fullSyncDeduplication: `full-sync-${projectId}`,
  }) as const;

/**
 * The BullMQ deduplication id of a sync job: one waiting job per page, per
 * database entity, and per project for full syncs (with `keepLastIfActive`, a
 * request during a running job leaves exactly one follow-up). Undefined for
 * jobs that are not deduplicated.
 */
export function deduplicationId<J extends JobName>(name: J, data: JobPayloads[J]): string | undefined {
  switch (name) {
    case JobName.SyncPage: {
      const d = data as SyncPageJob;
      return `page-${d.projectId}-${d.pageId}`;
    }
    case JobName.SyncDatabase: {
      const d = data as SyncDatabaseJob;
      return `database-${d.projectId}-${d.entityId}`;
    }
    case JobName.FullSync:
      return syncIds((data as FullSyncJob).projectId).fullSyncDeduplication;
    default:
      return undefined;
  }
}
