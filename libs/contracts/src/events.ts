/**
 * Events on the Redis transport (pub/sub: at most once, every replica receives
 * each one). Payloads carry ids only; Postgres holds the record of truth.
 *
 * The string values are a wire format shared by separately deployed apps:
 * change one only together with every producer and consumer.
 */
export enum BusEvent {
  /**
   * Notion webhook deliveries were committed to the inbox and await dispatch:
   * the gateway gathers a few milliseconds' worth into one message (one
   * publish per batch, not per event). Replaces `notion.webhook.received`
   * (one delivery per message): a worker that still listens for that one
   * hears nothing, and the relay dispatches what it missed.
   */
  NotionWebhooksReceived = 'notion.webhooks.received',
  /** A full sync of a project was requested (created, token changed, or asked for); Postgres holds the request. */
  ProjectSyncRequested = 'project.sync.requested',
}

/** One delivery of a {@link NotionWebhooksReceivedEvent}. */
export interface NotionWebhookReceivedEvent {
  /** Row id in the `webhook_deliveries` inbox. */
  readonly deliveryId: string;
  readonly projectId: string;
  /** Travels from the webhook request through the event and the job into every log line. */
  readonly correlationId: string;
}

/** Payload of {@link BusEvent.NotionWebhooksReceived}: the deliveries in commit order, at least one. */
export interface NotionWebhooksReceivedEvent {
  readonly deliveries: readonly NotionWebhookReceivedEvent[];
}

/** Payload of {@link BusEvent.ProjectSyncRequested}. */
export interface ProjectSyncRequestedEvent {
  readonly projectId: string;
  readonly correlationId: string;
}

/** Maps each event to its payload, so emitters and handlers cannot disagree. */
export interface BusEventPayloads {
  [BusEvent.NotionWebhooksReceived]: NotionWebhooksReceivedEvent;
  [BusEvent.ProjectSyncRequested]: ProjectSyncRequestedEvent;
}

/**
 * The Redis pub/sub channel (after `REDIS_CHANNEL_PREFIX`) on which the
 * mirror's writers announce that projects' change feeds advanced, for the
 * gateways' live streams (docs/architecture.md, "Live changes"). Not a Nest
 * transport pattern: the message is a bare {@link FeedAdvancedMessage}.
 */
export const FEED_ADVANCED_CHANNEL = 'mirror.feed.advanced';

/** One project whose change feed advanced. */
export interface FeedAdvance {
  readonly projectId: string;
  /**
   * Epoch milliseconds at which the oldest webhook delivery these writes
   * settled was received (absent for writes no delivery caused: syncs,
   * sweeps, bodies); the gateway measures webhook-to-event lag from it.
   */
  readonly receivedAt?: number;
}

/** What one publish on {@link FEED_ADVANCED_CHANNEL} carries: a few milliseconds' worth of writes. */
export interface FeedAdvancedMessage {
  readonly projects: readonly FeedAdvance[];
}
