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
  /** Sync a project's database: its pages changed in bulk, or a schema changed. */
  SyncDatabase = 'sync-database',
}

interface DeliveryJob {
  readonly projectId: string;
  /** Inbox deliveries this job covers; it marks them processed when it is done. */
  readonly deliveryIds: readonly string[];
  readonly correlationId: string;
}

export interface SyncPageJob extends DeliveryJob {
  readonly pageId: string;
}

export type SyncDatabaseJob = DeliveryJob;

/** Maps each job name to its data type. */
export interface JobPayloads {
  [JobName.SyncPage]: SyncPageJob;
  [JobName.SyncDatabase]: SyncDatabaseJob;
}

/** The queue each job runs on. */
export const JOB_QUEUE: { readonly [J in JobName]: QueueName } = {
  [JobName.SyncPage]: QueueName.NotionSync,
  [JobName.SyncDatabase]: QueueName.NotionSync,
};
