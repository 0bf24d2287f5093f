import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '@app/config';
import { reportOutagesOnce } from './outages.js';
import { boundedRedisOptions } from './redis-connection.js';

/**
 * KEYS[1]: the page's window; ARGV[1]: the job id; ARGV[2]: the window (ms).
 * Returns 0 when the job may fetch now (the window is then its own, for the
 * whole window from now), else how many ms are left of another job's window.
 * The job's own window does not hold it back: a retry, or a job back from a
 * rate-limit delay, is the same fetch (paced by the backoff and the limiter).
 */
const CLAIM = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then
  local left = redis.call('PTTL', KEYS[1])
  if left > 0 then return left end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 0
`;

/** What a window throttles: a page's property fetches, or its body fetches (each has windows of its own). */
export type FetchKind = 'page' | 'content';

interface WindowCommands {
  claimPageFetch(key: string, jobId: string, windowMs: number): Promise<number>;
}

/**
 * The per-page fetch throttle (`PAGE_FETCH_WINDOW_MS`): a `sync-page` job that
 * fetches a page opens a window on it, a Redis key that expires with the
 * window. The first event for a page is fetched at once; a job for that page
 * added or started while the window is open waits until it closes, and since
 * BullMQ deduplication keeps one waiting job per page, every event of the
 * window leaves one trailing fetch at its end. Redis's own clock (`PTTL`)
 * measures the window, so replicas' clocks do not matter.
 *
 * The window only saves fetches; nothing depends on it for correctness (the
 * mirror orders writes by fetch start, and each fetch marks processed every
 * delivery received before it). So it fails open: when Redis cannot be asked,
 * the job fetches at once.
 */
@Injectable()
export class PageFetchWindow implements OnApplicationShutdown {
  private readonly logger = new Logger(PageFetchWindow.name);
  private readonly redis: Redis & WindowCommands;
  readonly windowMs: number;

  constructor(private readonly config: AppConfig) {
    this.windowMs = config.sync.pageFetchWindowMs;
    // Only the workers open it, on first use; a job or a dispatch must not hang on the throttle.
    const redis = new Redis(boundedRedisOptions(config.redis.url));
    redis.defineCommand('claimPageFetch', { numberOfKeys: 1, lua: CLAIM });
    reportOutagesOnce(redis, this.logger);
    this.redis = redis as Redis & WindowCommands;
  }

  /**
   * How long a job for the page added now should wait: what is left of the
   * window of its latest fetch, or 0 (no fetch within a window: fetch at once).
   * Rejects when Redis cannot be asked (the caller's add would fail too).
   */
  async delayFor(projectId: string, pageId: string, kind: FetchKind = 'page'): Promise<number> {
    if (this.windowMs === 0) return 0;
    return Math.max(0, await this.redis.pttl(this.keyFor(projectId, pageId, kind)));
  }

  /**
   * Called by the job that is about to fetch the page: 0 when it may (its
   * window opens now), else the ms until the open window of another job's
   * fetch closes, when the job should run again.
   */
  async claim(projectId: string, pageId: string, jobId: string, kind: FetchKind = 'page'): Promise<number> {
    if (this.windowMs === 0) return 0;
    try {
      return await this.redis.claimPageFetch(this.keyFor(projectId, pageId, kind), jobId, this.windowMs);
    } catch (err) {
      this.logger.warn({ msg: 'Page fetch window unavailable; fetching at once', reason: (err as Error).message });
      return 0;
    }
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }

  private keyFor(projectId: string, pageId: string, kind: FetchKind): string {
    const name = kind === 'page' ? 'page-fetch' : 'page-content-fetch';
    return `${this.config.redis.keyPrefix}:${name}:${projectId}:${pageId}`;
  }
}
