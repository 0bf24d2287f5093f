/**
 * Codes of the domain errors that clients can see. They appear in problem+json
 * responses (`type` is `urn:notion-sync:problem:<code>`), so they are a wire
 * format: add codes freely, never change one.
 */
export enum ErrorCode {
  ProjectNotFound = 'project-not-found',
  ProjectAlreadyBound = 'project-already-bound',
  InvalidCursor = 'invalid-cursor',
  InvalidNotionDatabaseId = 'invalid-notion-database-id',
  WebhookAlreadyVerified = 'webhook-already-verified',
  WebhookTokenMissing = 'webhook-token-missing',
  PageNotFound = 'page-not-found',
  SyncFailureNotFound = 'sync-failure-not-found',
  ProjectQuotaExceeded = 'project-quota-exceeded',
  WebhookHandshakeLimited = 'webhook-handshake-limited',
  ChangesExpired = 'changes-expired',
  InvalidQuery = 'invalid-query',
  PageContentNotFound = 'page-content-not-found',
  FileLinkInvalid = 'file-link-invalid',
  FileNotFound = 'file-not-found',
  FileUnavailable = 'file-unavailable',
  StreamLimit = 'stream-limit',
}

/**
 * A failure the caller can act on, with a code and a human message. Which HTTP
 * status it becomes is decided in one place, the gateway's problem filter.
 * Messages never contain secrets.
 */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
