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
