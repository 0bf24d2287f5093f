import type { IncomingMessage } from 'node:http';
import { HttpException, HttpStatus } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest, FastifyServerOptions, HTTPMethods } from 'fastify';

/*
 * What the router answers on its own (a path parameter too long, a path that
 * is not valid percent-encoding, no route, a method the path does not have)
 * goes through the usual pipeline instead: problem+json with the request id,
 * helmet's and CORS headers, and a detail that never quotes the path (it may
 * hold a webhook's secret key).
 */

/** Longest path parameter (Fastify's default `maxParamLength`), now answered by `rejectLongPathParams`. */
export const MAX_PATH_PARAM_LENGTH = 100;

/**
 * Path parameters allowed to be longer: a file link's `ref` (about 110
 * characters, see FileLinkCodec; its DTO refuses more than 200 with a 400).
 */
export const LONG_PATH_PARAMS: Readonly<Record<string, number>> = { ref: 256 };

/** The longest value a path parameter of this name may have before a 414. */
export const pathParamLimit = (name: string): number => LONG_PATH_PARAMS[name] ?? MAX_PATH_PARAM_LENGTH;

export class UriTooLongError extends HttpException {
  constructor(limit = MAX_PATH_PARAM_LENGTH) {
    super(`A path segment is longer than ${limit} characters`, HttpStatus.URI_TOO_LONG);
  }
}

export class RouteNotFoundError extends HttpException {
  constructor() {
    super('No route matches this path', HttpStatus.NOT_FOUND);
  }
}

export class MethodNotAllowedError extends HttpException {
  constructor(readonly allow: readonly string[]) {
    super(`This path does not support this method; it supports ${allow.join(', ')}`, HttpStatus.METHOD_NOT_ALLOWED);
  }
}

/**
 * Router options for the gateway's Fastify instance. Fastify's own answers to
 * a too-long parameter (414) and to a malformed percent-encoding (400) are raw
 * JSON written before any hook runs, quoting the path. So the router never
 * gives them: its parameter limit is out of reach (`rejectLongPathParams`
 * keeps the 100-character limit), and a path that does not decode is taken
 * literally (each `%` escaped), to be judged like any other bad input.
 */
export function routerOptionsForProblems(): Pick<FastifyServerOptions, 'routerOptions' | 'rewriteUrl'> {
  return {
    // Node refuses request heads over 16 KB (431) long before this.
    routerOptions: { maxParamLength: 1_000_000 },
    rewriteUrl: (req: IncomingMessage) => literalIfUndecodable(req.url ?? '/'),
  };
}

function literalIfUndecodable(url: string): string {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  try {
    decodeURIComponent(path);
    return url;
  } catch {
    return path.replaceAll('%', '%25') + (queryAt === -1 ? '' : url.slice(queryAt));
  }
}

/**
 * 414 problem for a matched route whose named path parameter is longer than
 * 100 characters, once the request's headers (id, helmet, CORS) are set and
 * before its body is read. Wildcards (`*`, the docs' assets) hold whole paths
 * and are exempt, as they are from Fastify's own limit. (CORS preflights are
 * answered in an `onRequest` hook, before this one.)
 */
export function rejectLongPathParams(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('preParsing', async (request, _reply, payload) => {
      if (!request.is404) {
        const params = Object.entries((request.params ?? {}) as Record<string, unknown>);
        const tooLong = ([name, value]: [string, unknown]) =>
          name !== '*' && typeof value === 'string' && value.length > pathParamLimit(name);
        const long = params.find(tooLong);
        if (long) throw new UriTooLongError(pathParamLimit(long[0]));
      }
      return payload;
    });
}

const METHODS: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * What a request no route matched gets: 405 with the methods the path does
 * have (routes matched through a wildcard, such as CORS's `OPTIONS *`, do not
 * count: they exist for every path), else 404.
 */
export function unmatchedRouteError(request: FastifyRequest): RouteNotFoundError | MethodNotAllowedError {
  const allow = METHODS.filter((method) => {
    const route = request.server.findRoute({ method, url: request.url });
    return route !== null && !('*' in (route.params as object));
  });
  return allow.length ? new MethodNotAllowedError(allow) : new RouteNotFoundError();
}
