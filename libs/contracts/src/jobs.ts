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
  /** Fetch one page's body (Markdown) from Notion and store it. Webhook-driven: `page.content_updated`, a new page. */
  SyncPageContent = 'sync-page-content',
  /**
   * Fetch the bodies of a project's pages whose body is missing or older than
   * their last edit, at background priority, a slice at a time (the work list
   * is in Postgres, so a run resumes wherever the last one stopped).
   */
  ContentBackfill = 'content-backfill',
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

export interface SyncPageContentJob {
  readonly projectId: string;
  readonly pageId: string;
  readonly correlationId: string;
}

export interface ContentBackfillJob {
  readonly projectId: string;
  readonly correlationId: string;
  /**
   * Where a follow-up job goes on (a page id: its list is in page id order);
   * absent, from the start. Each pass ends at the end of the list, so pages
   * that failed wait for the next backfill instead of being retried in a loop.
   */
  readonly after?: string;
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
  [JobName.SyncPageContent]: SyncPageContentJob;
  [JobName.ContentBackfill]: ContentBackfillJob;
}

/**
 * One job as it travels: its name and the data that name carries. Code that
 * reads a job back (the processor, the dead letters, the retry relay) gets it
 * through `asJobItem` and then narrows by `name`, never by a cast.
 */
export type JobItem = { [J in JobName]: { readonly name: J; readonly data: JobPayloads[J] } }[JobName];

/** The fields each job's data must hold (every one a string). */
const JOB_FIELDS: { readonly [J in JobName]: readonly (keyof JobPayloads[J] & string)[] } = {
  [JobName.SyncPage]: ['projectId', 'pageId', 'correlationId'],
  [JobName.SyncDatabase]: ['projectId', 'entityId', 'correlationId'],
  [JobName.FullSync]: ['projectId', 'correlationId'],
  [JobName.RunEventHandler]: ['deliveryId', 'projectId', 'handler', 'correlationId'],
  [JobName.SyncPageContent]: ['projectId', 'pageId', 'correlationId'],
  [JobName.ContentBackfill]: ['projectId', 'correlationId'],
};

const isJobName = (name: string): name is JobName => Object.prototype.hasOwnProperty.call(JOB_FIELDS, name);

/** True when `name` is a job we know and `data` holds every field that job needs. */
export function isJobItem(item: { readonly name: string; readonly data: unknown }): item is JobItem {
  const { name, data } = item;
  if (!isJobName(name) || typeof data !== 'object' || data === null) return false;
  const fields: readonly string[] = JOB_FIELDS[name];
  return fields.every((field) => typeof (data as Record<string, unknown>)[field] === 'string');
}

/**
 * A job read back from BullMQ or a stored record, typed; undefined when its
 * name is unknown (a newer deploy's job, say) or its data lacks a field.
 */
export function asJobItem(name: string, data: unknown): JobItem | undefined {
  const item = { name, data };
  return isJobItem(item) ? item : undefined;
}

/** The page, database entity or delivery a job is about (what its dead letter names). */
export function jobSubject(item: JobItem): string | null {
  switch (item.name) {
    case JobName.SyncPage:
    case JobName.SyncPageContent:
      return item.data.pageId;
    case JobName.SyncDatabase:
      return item.data.entityId;
    case JobName.RunEventHandler:
      return item.data.deliveryId;
    case JobName.FullSync:
    case JobName.ContentBackfill:
      return null;
  }
}

/** The queue each job runs on. */
export const JOB_QUEUE: { readonly [J in JobName]: QueueName } = {
  [JobName.SyncPage]: QueueName.NotionSync,
  [JobName.SyncDatabase]: QueueName.NotionSync,
  [JobName.FullSync]: QueueName.NotionSync,
  [JobName.RunEventHandler]: QueueName.NotionSync,
  [JobName.SyncPageContent]: QueueName.NotionSync,
  [JobName.ContentBackfill]: QueueName.NotionSync,
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
    contentBackfillDeduplication: `content-backfill-${projectId}`,
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
    case JobName.SyncPageContent: {
      const d = data as SyncPageContentJob;
      return `content-${d.projectId}-${d.pageId}`;
    }
    case JobName.ContentBackfill:
      return syncIds((data as ContentBackfillJob).projectId).contentBackfillDeduplication;
    default:
      return undefined;
  }
}
