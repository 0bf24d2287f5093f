import { DomainError, ErrorCode } from '@app/contracts';

export class SyncFailureNotFoundError extends DomainError {
  readonly code = ErrorCode.SyncFailureNotFound;
  constructor() {
    super('No failed job with that id in this project');
  }
}
