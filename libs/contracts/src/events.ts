/**
 * Events on the Redis transport (pub/sub: at most once, every replica receives
 * each one). Payloads carry ids only; Postgres holds the record of truth.
 *
 * The string values are a wire format shared by separately deployed apps:
 * change one only together with every producer and consumer.
 */
export enum BusEvent {
  /** A Notion webhook delivery was committed to the inbox and awaits dispatch. */
  NotionWebhookReceived = 'notion.webhook.received',
  /** A full sync of a project was requested (created, token changed, or asked for); Postgres holds the request. */
  ProjectSyncRequested = 'project.sync.requested',
}

/** Payload of {@link BusEvent.NotionWebhookReceived} (the plan's `NotionWebhookReceived`). */
export interface NotionWebhookReceivedEvent {
  /** Row id in the `webhook_deliveries` inbox. */
  readonly deliveryId: string;
  readonly projectId: string;
  /** Travels from the webhook request through the event and the job into every log line. */
  readonly correlationId: string;
}

/** Payload of {@link BusEvent.ProjectSyncRequested}. */
export interface ProjectSyncRequestedEvent {
  readonly projectId: string;
  readonly correlationId: string;
}

/** Maps each event to its payload, so emitters and handlers cannot disagree. */
export interface BusEventPayloads {
  [BusEvent.NotionWebhookReceived]: NotionWebhookReceivedEvent;
  [BusEvent.ProjectSyncRequested]: ProjectSyncRequestedEvent;
}
