import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { selectRows } from '@app/database';
import { fileKey, type SeenFile } from '@app/notion';

/** Where a page shows a file: its properties, icon or cover (`page`), or its body (`content`). */
export type FileSource = 'page' | 'content';

/** A file of a page as the cache holds it. */
export interface CachedFile {
  readonly identity: string;
  readonly source: FileSource;
  /** The latest signed URL seen (Notion's, expiring). */
  readonly url: string;
  readonly expiresAt: Date | null;
}

/**
 * The latest signed URL seen for each Notion-hosted file of a page
 * (`page_files`): what a file link redirects to. A cache only: which files a
 * page has is read from the page itself (its stored properties, icon, cover
 * and body hold the files' identities), so a missing or stale entry costs a
 * refresh, never a wrong answer. Of two URLs for a file, the one that
 * expires later is kept, whichever was written last.
 */
@Injectable()
export class FileUrlCache {
  private readonly logger = new Logger(FileUrlCache.name);

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Records the URLs a fetch that started at `seenAt` saw; one statement, nothing when `files` is empty. */
  async save(
    projectId: string,
    pageId: string,
    source: FileSource,
    files: readonly SeenFile[],
    seenAt: Date,
  ): Promise<void> {
    if (files.length === 0) return;
    const unique = [...new Map(files.map((f) => [fileKey(f.identity), f])).entries()];
    try {
      await this.db.query(
        `INSERT INTO page_files AS f (project_id, page_id, file_key, identity, source, url, expires_at, seen_at)
         SELECT $1, $2, k, i, $3, u, e, $7
           FROM unnest($4::text[], $5::text[], $6::text[], $8::timestamptz[]) AS x(k, i, u, e)
          WHERE EXISTS (SELECT 1 FROM notion_pages WHERE project_id = $1 AND page_id = $2)
         ON CONFLICT (project_id, page_id, file_key) DO UPDATE SET
           url = EXCLUDED.url, expires_at = EXCLUDED.expires_at, seen_at = EXCLUDED.seen_at, source = EXCLUDED.source
         WHERE EXCLUDED.expires_at IS NULL OR f.expires_at IS NULL OR EXCLUDED.expires_at >= f.expires_at`,
        [
          projectId,
          pageId,
          source,
          unique.map(([key]) => key),
          unique.map(([, f]) => f.identity),
          unique.map(([, f]) => f.url),
          seenAt,
          unique.map(([, f]) => f.expiresAt),
        ],
      );
    } catch (err) {
      // The page was purged meanwhile (foreign key): nothing left to link to.
      this.logger.debug({ msg: 'File URLs not cached', projectId, pageId, reason: (err as Error).message });
    }
  }

  /** The cached file of this page with this key, if any. */
  async get(projectId: string, pageId: string, key: string): Promise<CachedFile | undefined> {
    const [row] = await selectRows<{ identity: string; source: FileSource; url: string; expires_at: Date | null }>(
      this.db,
      `SELECT identity, source, url, expires_at FROM page_files
        WHERE project_id = $1 AND page_id = $2 AND file_key = $3`,
      [projectId, pageId, key],
    );
    return row && { identity: row.identity, source: row.source, url: row.url, expiresAt: row.expires_at };
  }
}
