import { applyDecorators } from '@nestjs/common';
import { ApiResponse, type HeadersObject, type ResponseObject } from '@nestjs/swagger';
import { API_BODY_LIMIT_BYTES } from './json-body-parser.js';
import { PROBLEM_CONTENT_TYPE, ProblemDetailsDto } from './problem-details.js';
import { MAX_PATH_PARAM_LENGTH } from './route-errors.js';

/** Response headers the API sets, documented once. */
export const RETRY_AFTER_HEADER: HeadersObject = {
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
};

export const RATE_LIMIT_HEADERS: HeadersObject = {
  'X-RateLimit-Limit': {
    description: "Requests allowed in the current window (THROTTLE_LIMIT), per user (the token's subject)",
    schema: { type: 'integer', minimum: 0 },
  },
  'X-RateLimit-Remaining': {
    description: 'Requests left in the current window',
    schema: { type: 'integer', minimum: 0 },
  },
  'X-RateLimit-Reset': {
    description: 'Seconds until the window resets',
    schema: { type: 'integer', minimum: 0 },
  },
};

export const WWW_AUTHENTICATE_HEADER: HeadersObject = {
  'WWW-Authenticate': {
    description:
      'RFC 6750 challenge: `Bearer` when no token was sent, else ' +
      '`Bearer error="invalid_token", error_description="..."`',
    schema: { type: 'string' },
  },
};

export const LOCATION_HEADER: HeadersObject = {
  Location: { description: 'Path of the created resource', schema: { type: 'string' } },
};

/** What each problem status means on any route, and the headers it comes with. */
const PROBLEMS: Readonly<Record<number, { description: string; headers?: HeadersObject }>> = {
  400: {
    description:
      'Invalid input: field errors listed in `errors`; or a body that is not valid JSON, not a JSON object, ' +
      'or nested more than 32 levels deep',
  },
  // WWW-Authenticate is added where the route takes a bearer token (completeOpenApiDocument).
  401: { description: 'Missing or invalid bearer token' },
  404: { description: 'No such project for this user' },
  409: { description: 'Conflicts with an existing resource' },
  413: { description: `Request body larger than ${API_BODY_LIMIT_BYTES / 1024} KB` },
  414: { description: `A path parameter longer than ${MAX_PATH_PARAM_LENGTH} characters` },
  415: { description: 'A request body that is not `application/json`' },
  429: { description: 'Too many requests: see Retry-After', headers: { ...RETRY_AFTER_HEADER, ...RATE_LIMIT_HEADERS } },
  503: { description: 'Temporarily unavailable: retry after Retry-After seconds', headers: RETRY_AFTER_HEADER },
};

/**
 * The OpenAPI response of a problem status: problem+json, the status's usual
 * meaning (or the route's own `description`) and its headers (Retry-After on
 * 429 and 503).
 */
export function problemResponse(status: number, description?: string): ResponseObject {
  const known = PROBLEMS[status];
  return {
    description: description ?? known?.description ?? 'Error',
    ...(known?.headers && { headers: known.headers }),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
  };
}

/** Documents the problem+json error responses of a route, with their usual meanings. */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(...statuses.map((status) => ApiResponse({ status, ...problemResponse(status) })));
}

/** Documents one problem response with a meaning of the route's own (the headers stay the status's). */
export function ApiProblem(status: number, description: string): MethodDecorator & ClassDecorator {
  return ApiResponse({ status, ...problemResponse(status, description) });
}

export { ProblemDetailsDto };
