import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { isFullPage } from '@notionhq/client';
import { Redis } from 'ioredis';
import { AppConfig } from '@app/config';
import { boundedRedisOptions, reportOutagesOnce } from '@app/messaging';
import { classifyNotionError, NotionClientFactory, runInNotionJob, stripPageFiles } from '@app/notion';
import { ProjectsService } from '@app/projects';
import { readPageBody } from '../content/page-body.js';
import { FileUrlCache, type FileSource } from './file-url-cache.js';

/** What a refresh did. */
export type RefreshOutcome =
  /** This call (or the replica holding the lock) stored fresh URLs. */
  | 'refreshed'
  /** Another replica refreshes the page's files: read the cache again shortly. */
  | 'busy'
  /** Notion no longer has the page (or shares it): the link leads nowhere. */
  | 'gone'
  /** Rate limited, or Notion failed: try again later. */
  | 'unavailable';

/**
 * How long a refresh may hold its page's lock: longer than a refresh takes
 * (its first request waits at most NOTION_RATE_LIMIT_DEFER_MS for a turn, and
 * a body's parts are paced like any job's).
 */
const LOCK_MS = 120_000;

/**
 * Gets fresh signed URLs for a page's files from Notion (`pages.retrieve` for
 * files in properties, icon and cover; the body for files in it) and stores
 * them in the URL cache. One refresh at a time per page and source across
 * replicas (a Redis lock; the others wait for the cache). It goes through the
 * project's token and rate limit like every Notion call.
 */
@Injectable()
export class FileRefresher implements OnApplicationShutdown {
  private readonly logger = new Logger(FileRefresher.name);
  private readonly redis: Redis;

  constructor(
    private readonly config: AppConfig,
    private readonly projects: ProjectsService,
    private readonly notion: NotionClientFactory,
    private readonly cache: FileUrlCache,
  ) {
    this.redis = new Redis(boundedRedisOptions(config.redis.url));
    reportOutagesOnce(this.redis, this.logger);
  }

  async refresh(projectId: string, pageId: string, source: FileSource): Promise<RefreshOutcome> {
    const lock = `${this.config.redis.keyPrefix}:file-refresh:${projectId}:${pageId}:${source}`;
    const token = `${process.pid}-${Math.random()}`;
    let locked: boolean;
    try {
      locked = (await this.redis.set(lock, token, 'PX', LOCK_MS, 'NX')) === 'OK';
    } catch {
      // Without Redis, refresh anyway: one refresh too many beats a broken image.
      locked = true;
    }
    if (!locked) return 'busy';
    try {
      const binding = await this.projects.notionBinding(projectId);
      if (!binding) return 'gone';
      const client = this.notion.forToken(binding.notionToken);
      const seenAt = new Date();
      // As a job of its own at the rate limit: a turn further off than
      // NOTION_RATE_LIMIT_DEFER_MS is not waited for in a request (503, retry).
      const files = await runInNotionJob(`file-refresh-${projectId}-${pageId}-${source}`, async () => {
        if (source === 'content') return (await readPageBody(client, pageId, this.config.content.maxBytes)).files;
        const page = await client.pages.retrieve({ page_id: pageId });
        return isFullPage(page)
          ? stripPageFiles({ properties: page.properties, icon: page.icon, cover: page.cover }).files
          : undefined;
      });
      if (!files) return 'gone';
      await this.cache.save(projectId, pageId, source, files, seenAt);
      return 'refreshed';
    } catch (err) {
      const failure = classifyNotionError(err, { object: 'page' });
      if (failure.kind === 'not_shared') return 'gone';
      this.logger.warn({ msg: 'File URLs not refreshed', projectId, pageId, reason: failure.message });
      return 'unavailable';
    } finally {
      await this.redis
        .eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end`, 1, lock, token)
        .catch(() => undefined);
    }
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
