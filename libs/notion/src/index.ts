export {
  MAX_HANDSHAKE_BYTES,
  MAX_WEBHOOK_DEPTH,
  normalizeNotionId,
  parseWebhookBody,
  readHandshake,
  verifyNotionSignature,
  type NotionHandshake,
  type NotionWebhookEnvelope,
  type ParsedWebhookBody,
} from './webhook-payload.js';
export { exceedsJsonDepth } from './json-depth.js';
export { NotionClientFactory } from './client/notion-client.factory.js';
export {
  DEFAULT_RETRY_AFTER_MS,
  NotionLimiterUnavailableError,
  NotionNetworkError,
  NotionRateLimitedError,
  classifyNotionError,
  retryAfterMs,
  type NotionFailure,
  type NotionFailureContext,
  type NotionFailureKind,
} from './client/notion-errors.js';
export { NotionRateLimiter, notionTokenId } from './client/notion-rate-limiter.js';
export { NotionModule } from './client/notion.module.js';
