import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Module, RequestMethod, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
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

/**
 * Structured logs: JSON lines in production (and tests), readable lines in
 * development. Every HTTP request gets an id (the caller's `x-request-id`
 * when it is well-formed), logged on each line and echoed in the response.
 */
export interface LoggingOptions {
  /**
   * Rewrites a request path before it is logged: the gateway hides the secret
   * key of webhook URLs. Applied to `req.url`; route params are never logged.
   */
  readonly redactUrl?: (url: string) => string;
}

@Module({})
export class LoggingModule {
  static forRoot(appName: string, options: LoggingOptions = {}): DynamicModule {
    const { redactUrl } = options;
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            pinoHttp: {
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
              // Probes and Prometheus hit health and metrics routes every few
              // seconds: keep them out of the story.
              // (middie rewrites req.url relative to the middleware's mount path)
              autoLogging: {
                ignore: (req: IncomingMessage & { originalUrl?: string }) =>
                  /^\/(health|metrics)(\/|\?|$)/.test(req.originalUrl ?? req.url ?? ''),
              },
              serializers: {
                // pino-http hands this the already serialized request.
                req: ({ params: _params, ...req }: { url?: string; params?: unknown }) =>
                  redactUrl && typeof req.url === 'string' ? { ...req, url: redactUrl(req.url) } : req,
              },
              // Secrets travel in headers; never write them to a log line.
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
              customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
                err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
            },
            // Nest applies middleware under the global prefix; health routes
            // sit outside it and are not worth a request log line anyway.
            forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
          }),
        }),
      ],
    };
  }
}
