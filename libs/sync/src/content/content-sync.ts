import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Client } from '@notionhq/client';
import type { DataSource } from 'typeorm';
import { AppConfig } from '@app/config';
import { selectRows } from '@app/database';
import { classifyNotionError, NotionClientFactory } from '@app/notion';
import { ProjectsService } from '@app/projects';
import { MirrorWriter } from '../mirror.writer.js';
import { CONTENT_STALE, ProjectSyncStore } from '../project-sync.store.js';
import { ContentWriter, type ContentWrite } from './content.writer.js';
import { isBodyRefused, isContentRefused, isPageNotFound, readPageBody, type PageBody } from './page-body.js';

/** The project's content error when Notion refuses bodies (403): a wire text the API shows. */
export const CONTENT_REFUSED =
  'Notion refused to give page content: the integration lacks the "Read content" capability';

/** What a content job did. */
export interface ContentOutcome {
  readonly fetched: number;
  /** Bodies that changed (each a new version). */
  readonly changed: number;
  /** Why the job did nothing, or stopped. */
  readonly skipped?: string;
  readonly projectDeleted?: true;
  /** A backfill left pages to do: the caller adds a follow-up job that goes on after this page id. */
  readonly more?: { readonly after: string };
}

/** Pages a backfill reads from its work list at a time. */
const BACKFILL_BATCH = 20;
/** Pages in a row that fail with a retryable error before the backfill job fails (and is retried). */
const BACKFILL_FAILURES = 3;

/**
 * Page bodies: one page's (webhook-driven), and the backfill of a project's
 * pages whose body is missing or older than their last edit. The priority of
 * each is the job's (the processor runs backfills at background priority at
 * the rate limiter). Notion's 403 on a body (no read-content capability)
 * becomes the project's content error and never its sync error.
 */
@Injectable()
export class ContentSync {
  private readonly logger = new Logger(ContentSync.name);
  /** The app is stopping: a backfill ends its slice at the next page (its follow-up goes on after a restart). */
  private stopping = false;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly projects: ProjectsService,
    private readonly notion: NotionClientFactory,
    private readonly writer: ContentWriter,
    private readonly mirror: MirrorWriter,
    private readonly store: ProjectSyncStore,
  ) {}

  /** Fetches one page's body and stores it (when the project syncs content). */
  async syncPage(projectId: string, pageId: string, correlationId: string): Promise<ContentOutcome> {
    const bound = await this.projects.notionBindingNow(projectId);
    if (!bound) return { fetched: 0, changed: 0, skipped: 'project deleted', projectDeleted: true };
    if (!bound.binding.syncContent) return { fetched: 0, changed: 0, skipped: 'content sync is off' };
    // A page of the workspace outside the project's database (or not mirrored
    // yet: its page job asks for the body once it inserts it) costs no request.
    if (!(await this.isLive(projectId, pageId))) return { fetched: 0, changed: 0, skipped: 'page not mirrored' };
    const client = this.notion.forToken(bound.binding.notionToken);
    const write = await this.fetchAndStore(client, projectId, pageId, bound.clock);
    if (write.outcome === 'written') await this.store.setContentError(projectId, null);
    this.logger.log({ msg: 'Page content synced', projectId, pageId, outcome: write.outcome, correlationId });
    if (write.outcome === 'refused') return { fetched: 0, changed: 0, skipped: CONTENT_REFUSED };
    if (write.outcome === 'projectDeleted') return { fetched: 0, changed: 0, projectDeleted: true };
    return { fetched: 1, changed: write.outcome === 'written' && write.changed ? 1 : 0 };
  }

  /**
   * Works through the project's pages whose body is missing or older than
   * their last edit for `CONTENT_BACKFILL_SLICE_SECONDS`, in page id order;
   * `more` when some are left. Resumable by nature: the work list is the
   * mirror itself (each stored body leaves it).
   */
  async backfill(projectId: string, correlationId: string, from?: string): Promise<ContentOutcome> {
    const binding = await this.projects.notionBinding(projectId);
    if (!binding) return { fetched: 0, changed: 0, skipped: 'project deleted', projectDeleted: true };
    if (!binding.syncContent) return { fetched: 0, changed: 0, skipped: 'content sync is off' };
    const client = this.notion.forToken(binding.notionToken);
    const deadline = Date.now() + this.config.content.backfillSliceSeconds * 1000;
    let after = from ?? '00000000-0000-0000-0000-000000000000';
    let fetched = 0;
    let changed = 0;
    let failures = 0;
    let outOfTime = false;
    // A body read clears the content error; once per slice is enough.
    let cleared = false;
    for (;;) {
      const ids = await this.stalePages(projectId, after, BACKFILL_BATCH);
      if (ids.length === 0) break;
      for (const pageId of ids) {
        if (Date.now() >= deadline || this.stopping) outOfTime = true;
        if (outOfTime) break;
        after = pageId;
        let write: ContentWrite | { outcome: 'refused' };
        try {
          write = await this.fetchAndStore(client, projectId, pageId, await this.mirror.now());
          failures = 0;
        } catch (err) {
          // A wait at the rate limit (the job leaves its worker slot and comes
          // back: what is stored stays), or failures in a row: the job's to handle.
          const kind = classifyNotionError(err, { object: 'page' }).kind;
          if (kind === 'rate_limited' || kind === 'unauthorized' || ++failures >= BACKFILL_FAILURES) throw err;
          const reason = (err as Error).message;
          this.logger.warn({ msg: 'Page content not fetched; left for the next backfill', projectId, pageId, reason });
          continue;
        }
        if (write.outcome === 'refused') return { fetched, changed, skipped: CONTENT_REFUSED };
        if (write.outcome === 'projectDeleted') return { fetched, changed, projectDeleted: true };
        if (write.outcome === 'written' && !cleared) {
          await this.store.setContentError(projectId, null);
          cleared = true;
        }
        fetched++;
        if (write.outcome === 'written' && write.changed) changed++;
      }
      if (outOfTime) break;
    }
    // A follow-up goes on after the last page tried: pages that failed are left
    // for the next backfill (the next full or reconciling sync's), not retried in a loop.
    const more = outOfTime && (await this.stalePages(projectId, after, 1)).length > 0;
    this.logger.log({ msg: 'Content backfill slice done', projectId, fetched, changed, more, correlationId });
    return { fetched, changed, ...(more && { more: { after } }) };
  }

  /**
   * Ends running backfills at their next page: a slice lasts up to
   * `CONTENT_BACKFILL_SLICE_SECONDS`, longer than a worker's drain at shutdown
   * may take. Called by the job-worker before it closes its BullMQ worker.
   */
  stop(): void {
    this.stopping = true;
  }

  private async fetchAndStore(
    client: Client,
    projectId: string,
    pageId: string,
    fetchStartedAt: Date,
  ): Promise<ContentWrite | { outcome: 'refused' }> {
    let body: PageBody | { error: string };
    try {
      body = await readPageBody(client, pageId, this.config.content.maxBytes);
    } catch (err) {
      if (isContentRefused(err)) {
        await this.store.setContentError(projectId, CONTENT_REFUSED);
        return { outcome: 'refused' };
      }
      // 404: gone or unshared (the page job tombstones it); 400: Notion cannot give it. Either is
      // kept as the page's content error, so the backfill's list moves past it.
      if (!isPageNotFound(err) && !isBodyRefused(err)) throw err;
      body = { error: `Notion gave no content for this page (${(err as Error).message.split('\n', 1)[0]})` };
    }
    return this.writer.write(projectId, pageId, body, fetchStartedAt);
  }

  private async isLive(projectId: string, pageId: string): Promise<boolean> {
    const rows = await selectRows(
      this.db,
      `SELECT 1 FROM notion_pages WHERE project_id = $1 AND page_id = $2 AND deleted_at IS NULL`,
      [projectId, pageId],
    );
    return rows.length > 0;
  }

  /** Live pages of the project whose body is missing or older than their last edit, by page id. */
  private async stalePages(projectId: string, after: string | undefined, limit: number): Promise<string[]> {
    const rows = await selectRows<{ page_id: string }>(
      this.db,
      `SELECT page_id FROM notion_pages n
        WHERE n.project_id = $1 AND ${CONTENT_STALE} AND ($2::uuid IS NULL OR n.page_id > $2::uuid)
        ORDER BY n.page_id LIMIT $3`,
      [projectId, after ?? null, limit],
    );
    return rows.map((r) => r.page_id);
  }
}
