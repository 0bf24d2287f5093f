import { pathParamLimit } from './route-errors.js';
import type { OpenAPIObject, OperationObject, ReferenceObject, ResponseObject } from '@nestjs/swagger';
import {
  LOCATION_HEADER,
  problemResponse,
  RATE_LIMIT_HEADERS,
  WWW_AUTHENTICATE_HEADER,
} from './api-problems.decorator.js';

const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const KEYS_UNAVAILABLE =
  "The identity provider's keys (JWT_JWKS_URI) could not be fetched to check the token: retry after Retry-After";

const isReference = (value: object): value is ReferenceObject => '$ref' in value;

/**
 * Adds to the generated document what holds for every route of a kind, because
 * the gateway enforces it globally rather than route by route, so no route can
 * forget to say it:
 * - request body schemas are `additionalProperties: false` (the validation
 *   pipe refuses unknown fields everywhere);
 * - routes with a path parameter answer 414 past 100 characters (a file link's ref: 256)
 *   (`rejectLongPathParams`);
 * - routes whose method can carry a body answer 400, 413 and 415 (the JSON
 *   body parser: Fastify parses bodies of POST, PUT, PATCH and DELETE);
 * - authenticated routes send the RFC 6750 challenge (`WWW-Authenticate`)
 *   with their 401, and answer 503 with Retry-After when the identity
 *   provider's keys (JWT_JWKS_URI) cannot be fetched to check a token;
 * - `extraSchemas` join the components (schemas no DTO class can describe);
 * - rate-limited routes (those that document 429) send `X-RateLimit-*` on
 *   their successful answers too; a 201 names what it created in `Location`.
 */
export function completeOpenApiDocument(
  document: OpenAPIObject,
  extraSchemas: NonNullable<OpenAPIObject['components']>['schemas'] = {},
): OpenAPIObject {
  // Schemas no DTO class describes (the query's filter shapes), referenced by $ref.
  document.components = { ...document.components, schemas: { ...extraSchemas, ...document.components?.schemas } };
  const schemas = document.components.schemas ?? {};
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const body = operation.requestBody;
      const ref = body && !isReference(body) ? body.content['application/json']?.schema : undefined;
      if (ref && isReference(ref)) {
        const schema = schemas[ref.$ref.replace('#/components/schemas/', '')];
        if (schema && !isReference(schema)) schema.additionalProperties = false;
      }
      if (path.includes('{')) {
        const limit = Math.max(...[...path.matchAll(/\{(\w+)\}/g)].map((m) => pathParamLimit(m[1]!)));
        operation.responses[414] ??= problemResponse(414, `A path parameter longer than ${limit} characters`);
      }
      if (BODY_METHODS.has(method)) for (const status of [400, 413, 415]) addProblem(operation, status);
      const authenticated = Boolean(operation.security?.length);
      if (authenticated) operation.responses[503] ??= problemResponse(503, KEYS_UNAVAILABLE);
      const rateLimited = '429' in operation.responses;
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!response || isReference(response)) continue;
        if (status === '401' && authenticated) addHeaders(response, WWW_AUTHENTICATE_HEADER);
        if (!/^2\d\d$/.test(status)) continue;
        if (rateLimited) addHeaders(response, RATE_LIMIT_HEADERS);
        if (status === '201') addHeaders(response, LOCATION_HEADER);
      }
    }
  }
  return document;
}

function addProblem(operation: OperationObject, status: number): void {
  operation.responses[status] ??= problemResponse(status);
}

function addHeaders(response: ResponseObject, headers: NonNullable<ResponseObject['headers']>): void {
  response.headers = { ...headers, ...response.headers };
}
