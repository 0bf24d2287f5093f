import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { selectRows } from '@app/database';
import { FeedAnnouncer } from '@app/messaging';
import { FileUrlCache } from '../files/file-url-cache.js';
import type { PageBody } from './page-body.js';

/** What a body write did. */
export type ContentWrite =
  /** Stored; `changed` when the body differs from the stored one (a new version, in the change feed). */
  | { readonly outcome: 'written'; readonly changed: boolean; readonly version: string }
  /** A fetch that started later already stored the body: this older one is dropped. */
  | { readonly outcome: 'older' }
  /** The page is not mirrored (not yet, or not a row of the project's database). */
  | { readonly outcome: 'missing' }
  /** The page is tombstoned. */
  | { readonly outcome: 'gone' }
  | { readonly outcome: 'projectDeleted' };

interface StoredBody {
  markdown: string;
  truncated: boolean;
  truncated_reason: string | null;
  unknown_blocks: unknown;
  files: string[];
  error: string | null;
}

/**
 * Writes page bodies (`page_contents`, and the page's `content_version` and
 * `content_fetched_at`). The same rules as the page writer: a body wins only
 * if its fetch started after the stored one's (a slow, older fetch never
 * replaces a newer body); a body that changed takes a new `version` from the
 * pages' sequence, for the page row too, so the change feed carries the new
 * `contentVersion`; the project's advisory lock orders versions as for every
 * mirror write. A re-fetch that only re-signed file URLs is no change: the
 * stored Markdown holds identities, not signed URLs.
 */
@Injectable()
export class ContentWriter {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly files: FileUrlCache,
    private readonly feed: FeedAnnouncer,
  ) {}

  /** Stores a fetched body, or (`error`) why Notion gives none for this page; a changed one is announced to the live streams. */
  async write(
    projectId: string,
    pageId: string,
    body: PageBody | { readonly error: string },
    fetchStartedAt: Date,
  ): Promise<ContentWrite> {
    const written = await this.store(projectId, pageId, body, fetchStartedAt);
    if (written.outcome === 'written' && written.changed) this.feed.advanced(projectId);
    return written;
  }

  private store(
    projectId: string,
    pageId: string,
    body: PageBody | { readonly error: string },
    fetchStartedAt: Date,
  ): Promise<ContentWrite> {
    const next: StoredBody =
      'error' in body
        ? { markdown: '', truncated: false, truncated_reason: null, unknown_blocks: [], files: [], error: body.error }
        : {
            markdown: body.markdown,
            truncated: body.truncated,
            truncated_reason: body.truncatedReason,
            unknown_blocks: body.unknownBlocks,
            files: [...new Set(body.files.map((f) => f.identity))],
            error: null,
          };
    return this.db.transaction(async (m): Promise<ContentWrite> => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('notion_pages:' || $1, 0))`, [projectId]);
      const [project] = await selectRows(m, `SELECT 1 FROM projects WHERE id = $1 FOR KEY SHARE`, [projectId]);
      if (!project) return { outcome: 'projectDeleted' };
      const [page] = await selectRows<{
        live: boolean;
        newer: boolean;
        stored: StoredBody | null;
        version: string | null;
      }>(
        m,
        `SELECT n.deleted_at IS NULL AS live, coalesce(n.content_fetched_at >= $3, false) AS newer,
           c.version::text AS version,
           CASE WHEN c.page_id IS NOT NULL THEN jsonb_build_object('markdown', c.markdown, 'truncated', c.truncated,
             'truncated_reason', c.truncated_reason, 'unknown_blocks', c.unknown_blocks, 'files', to_jsonb(c.files),
             'error', c.error) END AS stored
         FROM notion_pages n LEFT JOIN page_contents c USING (project_id, page_id)
         WHERE n.project_id = $1 AND n.page_id = $2`,
        [projectId, pageId, fetchStartedAt],
      );
      if (!page) return { outcome: 'missing' };
      if (!page.live) return { outcome: 'gone' };
      if (page.newer) return { outcome: 'older' };
      // The signed URLs of the body's files, with it: a link to a file of the stored body finds its URL.
      if (!('error' in body)) await this.files.save(projectId, pageId, 'content', body.files, fetchStartedAt, m);
      const changed = !page.stored || !sameBody(page.stored, next);
      if (!changed) {
        await m.query(
          `WITH c AS (UPDATE page_contents SET fetched_at = $3 WHERE project_id = $1 AND page_id = $2)
           UPDATE notion_pages SET content_fetched_at = $3 WHERE project_id = $1 AND page_id = $2`,
          [projectId, pageId, fetchStartedAt],
        );
        return { outcome: 'written', changed: false, version: page.version! };
      }
      const [row] = await selectRows<{ version: string }>(
        m,
        `WITH v AS (SELECT nextval('notion_pages_version_seq') AS version),
         c AS (
           INSERT INTO page_contents (project_id, page_id, markdown, truncated, truncated_reason, unknown_blocks,
             files, error, fetched_at, version)
           SELECT $1, $2, $3, $4, $5, $6::jsonb, $7::text[], $8, $9, v.version FROM v
           ON CONFLICT (project_id, page_id) DO UPDATE SET markdown = EXCLUDED.markdown,
             truncated = EXCLUDED.truncated, truncated_reason = EXCLUDED.truncated_reason,
             unknown_blocks = EXCLUDED.unknown_blocks, files = EXCLUDED.files, error = EXCLUDED.error,
             fetched_at = EXCLUDED.fetched_at, version = EXCLUDED.version
         ), u AS (
           UPDATE notion_pages n SET version = v.version, content_version = v.version, content_fetched_at = $9
             FROM v WHERE n.project_id = $1 AND n.page_id = $2
           RETURNING v.version
         )
         SELECT version::text AS version FROM u`,
        [
          projectId,
          pageId,
          next.markdown,
          next.truncated,
          next.truncated_reason,
          JSON.stringify(next.unknown_blocks),
          next.files,
          next.error,
          fetchStartedAt,
        ],
      );
      return { outcome: 'written', changed: true, version: row!.version };
    });
  }
}

function sameBody(a: StoredBody, b: StoredBody): boolean {
  return (
    a.markdown === b.markdown &&
    a.truncated === b.truncated &&
    a.truncated_reason === b.truncated_reason &&
    a.error === b.error &&
    JSON.stringify(a.unknown_blocks) === JSON.stringify(b.unknown_blocks) &&
    JSON.stringify([...a.files].sort()) === JSON.stringify([...b.files].sort())
  );
}
