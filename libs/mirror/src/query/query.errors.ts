import { DomainError, ErrorCode } from '@app/contracts';

/** One offending part of a query: its path in the request body and what is wrong. */
export interface QueryProblem {
  /** Dotted path in the body: `filter.and[1].select.equals`. */
  readonly field: string;
  readonly message: string;
}

/** A query the mirror will not run (400, with the path of the offending part). Runs no page query. */
export class InvalidQueryError extends DomainError {
  readonly code = ErrorCode.InvalidQuery;

  constructor(readonly problem: QueryProblem) {
    super(`The query is not valid: ${problem.field}: ${problem.message}`);
  }

  /** For the problem filter's `errors` list. */
  get fieldErrors(): Array<{ field: string; messages: string[] }> {
    return [{ field: this.problem.field, messages: [this.problem.message] }];
  }
}

export const invalid = (field: string, message: string): InvalidQueryError => new InvalidQueryError({ field, message });
