export {
  BusEvent,
  FEED_ADVANCED_CHANNEL,
  type FeedAdvance,
  type FeedAdvancedMessage,
  type BusEventPayloads,
  type NotionWebhookReceivedEvent,
  type NotionWebhooksReceivedEvent,
  type ProjectSyncRequestedEvent,
} from './events.js';
export {
  JOB_QUEUE,
  JobName,
  QueueName,
  asJobItem,
  deduplicationId,
  isJobItem,
  jobSubject,
  syncIds,
  type FullSyncJob,
  type JobItem,
  type JobPayloads,
  type RunEventHandlerJob,
  type SyncDatabaseJob,
  type SyncPageJob,
} from './jobs.js';
export { DomainError, ErrorCode } from './errors.js';
export {
  NOTION_EVENT_FAMILIES,
  NOTION_SIGNATURE_HEADER,
  NotionEventType,
  type KnownNotionEventType,
  type NotionEventFamily,
} from './notion-events.js';
export type { DataSourceSchema, ProjectSchema, PropertySchema, SchemaOption } from './schema.js';
