import { DomainError, ErrorCode } from '@app/contracts';

export class PageNotFoundError extends DomainError {
  readonly code = ErrorCode.PageNotFound;
  constructor() {
    super('No mirrored page with that id in this project');
  }
}

/**
 * The change feed no longer holds everything after the asked version: a
 * tombstone past it was purged (retention), so the client would never learn
 * of that deletion. It must start again from 0.
 */
export class ChangesExpiredError extends DomainError {
  readonly code = ErrorCode.ChangesExpired;
  constructor() {
    super(
      'Pages deleted after this version have been purged from the change feed: ' +
        'discard your copy and start again from after=0',
    );
  }
}

/** The page is mirrored but its body is not: not fetched yet, or the project does not mirror bodies. */
export class PageContentNotFoundError extends DomainError {
  readonly code = ErrorCode.PageContentNotFound;
  constructor(syncContent: boolean) {
    super(
      syncContent
        ? "The page's body has not been fetched yet (the project's sync.contentPending counts those left)"
        : 'This project does not mirror page bodies (syncContent is false)',
    );
  }
}

/** A file link that is not ours, or was altered: 403. */
export class FileLinkInvalidError extends DomainError {
  readonly code = ErrorCode.FileLinkInvalid;
  constructor() {
    super('Not a valid file link');
  }
}

/** A file link whose file, page or project is gone, or whose signing key was rotated out: 404. */
export class FileNotFoundError extends DomainError {
  readonly code = ErrorCode.FileNotFound;
  constructor() {
    super('This file is no longer available (the page or file was removed, or the link was revoked)');
  }
}

/** Notion could not be asked for a fresh URL just now: 503, try again. */
export class FileUnavailableError extends DomainError {
  readonly code = ErrorCode.FileUnavailable;
  readonly retryAfterSeconds = 5;
  constructor() {
    super('The file cannot be fetched from Notion right now; try again shortly');
  }
}
