import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE, ProblemDetailsDto } from './problem-details.js';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (field errors listed in `errors`)',
  401: 'Missing or invalid bearer token',
  404: 'No such project for this user',
  409: 'Conflicts with an existing resource',
  413: 'Request body too large',
  429: 'Too many requests: see Retry-After',
};

/** Documents the problem+json error responses of a route. */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
      }),
    ),
  );
}

export { ProblemDetailsDto };
