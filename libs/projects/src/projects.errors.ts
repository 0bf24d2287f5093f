import { DomainError, ErrorCode } from '@app/contracts';

export class ProjectNotFoundError extends DomainError {
  readonly code = ErrorCode.ProjectNotFound;
  constructor() {
    // The same answer for "absent" and "someone else's": existence is not leaked.
    super('No project with that id');
  }
}

export class ProjectAlreadyBoundError extends DomainError {
  readonly code = ErrorCode.ProjectAlreadyBound;
  constructor() {
    super('You already have a project bound to this Notion database');
  }
}

export class InvalidCursorError extends DomainError {
  readonly code = ErrorCode.InvalidCursor;
  constructor() {
    super('The cursor is not valid: pass back the nextCursor of a previous page unchanged');
  }
}

export class InvalidNotionDatabaseIdError extends DomainError {
  readonly code = ErrorCode.InvalidNotionDatabaseId;
  constructor() {
    super('notionDatabaseId must be a Notion database id (32 hex digits, with or without dashes) or its URL');
  }
}

export class WebhookAlreadyVerifiedError extends DomainError {
  readonly code = ErrorCode.WebhookAlreadyVerified;
  constructor() {
    super('The webhook is already verified; reset it (DELETE .../webhook) before subscribing again');
  }
}

export class WebhookTokenMissingError extends DomainError {
  readonly code = ErrorCode.WebhookTokenMissing;
  constructor() {
    super("Notion's verification token has not arrived yet: create the subscription in Notion first");
  }
}

export class ProjectQuotaExceededError extends DomainError {
  readonly code = ErrorCode.ProjectQuotaExceeded;
  constructor(readonly limit: number) {
    super(`You have reached the limit of ${limit} projects: delete one before creating another`);
  }
}

/** Handshakes on one webhook are limited: Notion sends one per subscription. */
export class WebhookHandshakeLimitedError extends DomainError {
  readonly code = ErrorCode.WebhookHandshakeLimited;
  /** `retryAfterSeconds`: sent as `Retry-After` by the gateway's problem-details filter. */
  constructor(readonly retryAfterSeconds: number) {
    super('Too many handshakes on this webhook: retry after the time in Retry-After');
  }
}
