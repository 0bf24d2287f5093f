import { Injectable, Logger } from '@nestjs/common';
import { Client, LogLevel, RequestTimeoutError, type Logger as SdkLogger } from '@notionhq/client';
import { AppConfig } from '@app/config';
import { Metrics } from '@app/observability';
import { NotionNetworkError, NotionRateLimitedError, retryAfterMs } from './notion-errors.js';
import { currentNotionJob } from './notion-job-scope.js';
import { NotionRateLimiter, NotionTurnDeferredError, notionTokenId } from './notion-rate-limiter.js';

type SupportedFetch = NonNullable<NonNullable<ConstructorParameters<typeof Client>[0]>['fetch']>;

/** Clients kept for reuse (one per token); the least recently used goes first. */
const MAX_CACHED_CLIENTS = 200;

/**
 * The one way this system talks to Notion: `@notionhq/client` clients aimed at
 * `NOTION_API_BASE_URL` with `NOTION_VERSION`, the SDK's own retries of
 * 429/529 (and 500/503 for reads, honouring `Retry-After`), and every HTTP
 * request, retries included, paced by the shared `NotionRateLimiter`.
 *
 * Errors the clients throw are sorted for callers by `classifyNotionError`.
 */
@Injectable()
export class NotionClientFactory {
  private readonly logger = new Logger(NotionClientFactory.name);
  private readonly clients = new Map<string, Client>();

  constructor(
    private readonly config: AppConfig,
    private readonly limiter: NotionRateLimiter,
    private readonly metrics: Metrics,
  ) {}

  /** The client for one integration token (the project's decrypted token); cached per token. */
  forToken(token: string): Client {
    if (!token) throw new Error('A Notion integration token is required');
    const id = notionTokenId(token);
    const cached = this.clients.get(id);
    if (cached) {
      this.clients.delete(id);
      this.clients.set(id, cached);
      return cached;
    }
    const { apiBaseUrl, version, timeoutMs, maxRetries } = this.config.notion;
    const client = new Client({
      auth: token,
      baseUrl: apiBaseUrl,
      notionVersion: version,
      // The SDK's timer starts when it calls fetch, so it would count the wait
      // for a limiter slot, and it does not abort the request it gives up on.
      // pacedFetch bounds both parts itself; this is only a backstop.
      timeoutMs: 2 * timeoutMs + 5000,
      retry: { maxRetries, initialRetryDelayMs: 1000, maxRetryDelayMs: 60_000 },
      fetch: this.pacedFetch(token),
      logLevel: LogLevel.DEBUG,
      logger: this.sdkLogger(token),
    });
    this.clients.set(id, client);
    if (this.clients.size > MAX_CACHED_CLIENTS) this.clients.delete(this.clients.keys().next().value!);
    return client;
  }

  /**
   * `fetch` behind the limiter: each attempt (the SDK's retries too) takes its
   * turn, then gets `NOTION_TIMEOUT_MS` for the response, body included. The
   * first request of a job (see `runInNotionJob`) waits in place at most
   * `NOTION_RATE_LIMIT_DEFER_MS`: a turn further off is reserved for the job,
   * which leaves its worker slot until then (`NotionTurnDeferredError`).
   * Every request of a background job waits at most as long for the line to
   * go idle, reserving nothing, else leaves the same way. Any other request
   * waits up to `NOTION_TIMEOUT_MS`, else its job is delayed like after a
   * 429. A 429/529 with `Retry-After` pauses the token's bucket, so the other
   * replicas hold back too.
   */
  private pacedFetch(token: string): SupportedFetch {
    const { timeoutMs, deferAfterMs } = this.config.notion;
    return async (url, init) => {
      const job = currentNotionJob();
      const leaves = job !== undefined && (job.priority === 'background' || !job.requested);
      const laterMs = await this.limiter.turn(token, {
        reservation: job?.reservationId,
        priority: job?.priority,
        patienceMs: leaves ? deferAfterMs : timeoutMs,
      });
      if (laterMs > 0) throw leaves ? new NotionTurnDeferredError(laterMs) : new NotionRateLimitedError(laterMs);
      if (job) job.requested = true;
      let response: Response;
      try {
        response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        // The SDK's own timeout error: same meaning, and same handling by callers.
        const timedOut = (err as Error | undefined)?.name === 'TimeoutError';
        this.metrics.notionRequest(timedOut ? 'timeout' : 'network');
        if (timedOut) throw new RequestTimeoutError();
        throw new NotionNetworkError(err);
      }
      this.metrics.notionRequest(response.status);
      if (response.status === 429 || response.status === 529) {
        const pauseMs = retryAfterMs(response.headers);
        if (pauseMs) {
          await this.limiter.pause(token, pauseMs).catch((err: Error) => {
            this.logger.warn(`Could not pause the Notion rate limiter: ${err.message}`);
          });
        }
      }
      return response;
    };
  }

  /** The SDK's log lines, at debug, with the token masked should any line ever carry it. */
  private sdkLogger(token: string): SdkLogger {
    return (level, message, extraInfo) => {
      const fields = JSON.parse(
        JSON.stringify(extraInfo ?? {})
          .split(token)
          .join('[token]'),
      ) as object;
      const line = { msg: `Notion SDK: ${message}`, sdkLevel: level, ...fields };
      // An unknown parameter is a bug in our code, not a Notion hiccup.
      if (message === 'unknown parameters were ignored') this.logger.warn(line);
      else this.logger.debug(line);
    };
  }
}
