export {
  MAX_HANDSHAKE_BYTES,
  MAX_WEBHOOK_DEPTH,
  parseWebhookBody,
  readHandshake,
  verifyNotionSignature,
  type NotionHandshake,
  type NotionWebhookEnvelope,
  type ParsedWebhookBody,
} from './webhook-payload.js';
export { exceedsJsonDepth } from './json-depth.js';
export { isJsonObject, notionIdOrAsGiven, richTextPlain } from './notion-json.js';
export { normalizeNotionDatabaseId } from './notion-database-id.js';
export { normalizeNotionId, NOTION_ID_PATTERN } from './notion-id.js';
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
export {
  NotionRateLimiter,
  NotionTurnDeferredError,
  notionTokenId,
  type TurnOptions,
} from './client/notion-rate-limiter.js';
export {
  currentNotionJob,
  runInNotionJob,
  type NotionJobOptions,
  type NotionJobScope,
  type NotionPriority,
} from './client/notion-job-scope.js';
export { NotionModule } from './client/notion.module.js';
export {
  fileKey,
  notionHostedFile,
  rewriteMarkdownFiles,
  rewritePageFiles,
  stripMarkdownFiles,
  stripPageFiles,
  type HostedFileUrl,
  type PageFileParts,
  type RewrittenPageParts,
  type SeenFile,
} from './files/notion-files.js';
