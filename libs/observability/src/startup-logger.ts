import type { LoggerService } from '@nestjs/common';

/**
 * Nest's own contexts whose `log` lines describe wiring, not events an
 * operator acts on: about 110 lines per `npm start` ("X dependencies
 * initialized", "Mapped {...} route", "Connected to Redis"). They go to debug
 * (`LOG_LEVEL=debug` shows them); their warnings and errors stay where they are.
 */
const WIRING_CONTEXTS: ReadonlySet<string> = new Set([
  'NestFactory',
  'InstanceLoader',
  'RouterExplorer',
  'NestApplication',
  'NestMicroservice',
  'Server', // the Redis transport's server: "Connected to Redis. Subscribing..."
  'ClientProxy', // the gateway's Redis client, same line
]);

/**
 * Nest prints a controller line with the global prefix even when every route
 * of the controller is excluded from it ("HealthController {/api/v1/health}"
 * for routes served at /health). The "Mapped" lines below it name each route's
 * real path, so the header says nothing true they do not; it is dropped.
 */
const DROPPED_CONTEXTS: ReadonlySet<string> = new Set(['RoutesResolver']);

/** The context Nest passes last to a logger call, when there is one. */
function contextOf(params: readonly unknown[]): string | undefined {
  const last = params.at(-1);
  return typeof last === 'string' ? last : undefined;
}

/**
 * Wraps an app's logger so that starting it says only what matters: each app
 * logs one line of its own when it is ready, and Nest's wiring is below the
 * default level. Only `log` (info) lines of the contexts above change level.
 */
export class StartupQuietLogger implements LoggerService {
  constructor(private readonly inner: LoggerService) {}

  log(message: unknown, ...params: unknown[]): void {
    const context = contextOf(params);
    if (context && DROPPED_CONTEXTS.has(context)) return;
    if (context && WIRING_CONTEXTS.has(context)) {
      this.inner.debug?.(message, ...params);
      return;
    }
    this.inner.log(message, ...params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.inner.error(message, ...params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.inner.warn(message, ...params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.inner.debug?.(message, ...params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.inner.verbose?.(message, ...params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    (this.inner.fatal ?? this.inner.error).call(this.inner, message, ...params);
  }
}
