import { DomainError, ErrorCode } from '@app/contracts';

export class PageNotFoundError extends DomainError {
  readonly code = ErrorCode.PageNotFound;
  constructor() {
    super('No mirrored page with that id in this project');
  }
}
