import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module, RequestMethod, type DynamicModule } from '@nestjs/common';
import { LoggerModule, PinoLogger, type Params } from 'nestjs-pino';
import type { Options as HttpLogOptions, StdSerializedResults } from 'pino-http';
import { AppConfig } from '@app/config';

/** Header that carries the request (and correlation) id in and out. */
export const REQUEST_ID_HEADER = 'x-request-id';
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The caller's request id when it is well-formed, else a fresh one. */
export function requestId(given: string | string[] | undefined): string {
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Fastify options for request ids: Fastify owns `request.id`, and pino-http
 * reuses it, so one id appears in every log line and in the response header.
 */
export function requestIdOptions() {
  return {
    requestIdHeader: false as const,
    genReqId: (req: IncomingMessage) => requestId(req.headers[REQUEST_ID_HEADER]),
  };
}

/** Request headers worth keeping on a 5xx line: they say what was sent and by what, and carry no secret. */
const DEBUG_HEADERS = ['content-type', 'content-length', 'content-encoding', 'user-agent'] as const;

export interface LoggingOptions {
  /**
   * Rewrites a request path before it is logged: the gateway hides the secret
   * key of webhook URLs. Applied to `req.url`; route params are never logged.
   */
  readonly redactUrl?: (url: string) => string;
  /**
   * Routes the request logger skips: hot routes whose successes are counted
   * in metrics and whose app logs their failures itself (`logFailedRequest`),
   * since pino-http costs a child logger per request even when nothing is written.
   */
  readonly failuresOnly?: NonNullable<Params['exclude']>;
}

/**
 * What a request log line says about the request: never its headers (bulk,
 * and where secrets travel) nor its route params, and its URL through
 * `redactUrl` when given.
 */
export function requestSummary(req: StdSerializedResults['req'], { redactUrl }: LoggingOptions = {}) {
  const url = redactUrl && typeof req.url === 'string' ? redactUrl(req.url) : req.url;
  return { id: req.id, method: req.method, url, remoteAddress: req.remoteAddress };
}

/**
 * pino-http's options for one app. One line per answered request:
 *
 * - 2xx, 3xx and 4xx at info, 5xx (or an error) at error. A 4xx is the
 *   client's mistake: as a warning, a flood of rejected requests (bad tokens,
 *   unknown webhook keys) became a flood of warnings that buried the real ones.
 * - No headers on any line: with them a 401 took about 1.5 KB (helmet's
 *   response headers some 900 bytes of it; without them, under 300 bytes),
 *   and redaction by name is a deny list, while a summary cannot leak what it
 *   never holds. A 5xx line adds the few request headers that help to debug
 *   it (DEBUG_HEADERS) and the error.
 * - Health and metrics routes are not logged: probes and Prometheus call them
 *   every few seconds.
 */
export function httpLogOptions(appName: string, config: AppConfig, options: LoggingOptions = {}): HttpLogOptions {
  return {
    name: appName,
    level: config.logLevel,
    transport:
      config.env === 'development'
        ? {
            target: 'pino-pretty',
            options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
          }
        : undefined,
    // Fastify assigns the id (see requestIdOptions); this is the fallback.
    genReqId: (req: IncomingMessage) => requestId(req.headers[REQUEST_ID_HEADER]),
    // (middie rewrites req.url relative to the middleware's mount path)
    autoLogging: {
      ignore: (req: IncomingMessage & { originalUrl?: string }) =>
        /^\/(health|metrics)(\/|\?|$)/.test(req.originalUrl ?? req.url ?? ''),
    },
    serializers: {
      // pino-http hands this the already serialized request.
      req: (req: StdSerializedResults['req']) => requestSummary(req, options),
      res: (res: StdSerializedResults['res']) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
      err || res.statusCode >= 500 ? 'error' : 'info',
    customErrorObject: (req: IncomingMessage, _res: ServerResponse, _err: Error, val: Record<string, unknown>) => ({
      ...val,
      reqHeaders: Object.fromEntries(
        DEBUG_HEADERS.filter((h) => req.headers[h] !== undefined).map((h) => [h, req.headers[h]]),
      ),
    }),
    // Defence in depth: nothing above logs headers, but other code may log a request.
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-notion-signature"]',
        'req.headers.cookie',
        'req.headers["x-api-key"]',
        // TypeORM errors carry the bound parameters (tokens, ciphertexts).
        'err.parameters',
        'err.driverError.parameters',
      ],
      censor: '[redacted]',
    },
  };
}

/**
 * The request line pino-http would have written, for a route it skips
 * (`LoggingOptions.failuresOnly`), when the answer is a failure: 4xx at info,
 * 5xx at error, through the same serializers (so the same fields, and the URL
 * through `redactUrl`). A success writes nothing. Call it once the answer is
 * sent (Fastify's `onResponse`): the status is read from `res`.
 */
export function logFailedRequest(
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  responseTime: number,
): void {
  if (res.statusCode < 400) return;
  // pino-http's request serializer reads the id from the request, where pino-http would have put it.
  (req as IncomingMessage & { id?: string }).id = requestId;
  const line = { req, res, responseTime: Math.round(responseTime) };
  if (res.statusCode >= 500) PinoLogger.root.error(line, 'request errored');
  else PinoLogger.root.info(line, 'request completed');
}

/**
 * Structured logs: JSON lines in production (and tests), readable lines in
 * development. Every HTTP request gets an id (the caller's `x-request-id`
 * when it is well-formed), logged on each line and echoed in the response.
 */

@Module({})
export class LoggingModule {
  static forRoot(appName: string, options: LoggingOptions = {}): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            pinoHttp: httpLogOptions(appName, config, options),
            // Nest applies middleware under the global prefix; health routes
            // sit outside it and are not worth a request log line anyway.
            forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
            exclude: options.failuresOnly,
          }),
        }),
      ],
    };
  }
}
