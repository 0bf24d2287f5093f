import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { fileKey, type SeenFile } from '@app/notion';

/** Where a page shows a file: its properties, icon or cover (`page`), or its body (`content`). */
export type FileSource = 'page' | 'content';

/**
 * The latest signed URL seen for each Notion-hosted file of a page
 * (`page_files`): what a file link redirects to. A cache only: which files a
 * page has is read from the page itself (its stored properties, icon, cover
 * and body hold the files' identities), so a stale entry costs a refresh,
 * never a wrong answer (a missing one, a 404 until the page's next fetch). Of two URLs for a file, the one that
 * expires later is kept, whichever was written last.
 */
@Injectable()
export class FileUrlCache {
  private readonly logger = new Logger(FileUrlCache.name);

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Records the URLs a fetch that started at `seenAt` saw on one page (see `saveMany`). */
  save(
    projectId: string,
    pageId: string,
    source: FileSource,
    files: readonly SeenFile[],
    seenAt: Date,
    manager?: EntityManager,
  ): Promise<void> {
    return this.saveMany(projectId, [{ pageId, files }], source, seenAt, manager);
  }

  /**
   * Records the URLs fetches that started at `seenAt` saw on these pages: one
   * statement, none when no page shows a file. In a writer's transaction
   * (`manager`), it commits with the write; alone, a page purged meanwhile
   * (its foreign key) is no error: nothing is left to link to.
   */
  async saveMany(
    projectId: string,
    pages: ReadonlyArray<{ readonly pageId: string; readonly files?: readonly SeenFile[] }>,
    source: FileSource,
    seenAt: Date,
    manager?: EntityManager,
  ): Promise<void> {
    const rows = pages.flatMap(({ pageId, files = [] }) =>
      [...new Map(files.map((f) => [fileKey(f.identity), f])).entries()].map(([key, f]) => ({ pageId, key, f })),
    );
    if (rows.length === 0) return;
    const statement = (m: EntityManager | DataSource) =>
      m.query(
        `INSERT INTO page_files AS f (project_id, page_id, file_key, identity, source, url, expires_at, seen_at)
         SELECT $1, x.p, x.k, x.i, $2, x.u, x.e, $3
           FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[], $8::timestamptz[]) AS x(p, k, i, u, e)
          WHERE EXISTS (SELECT 1 FROM notion_pages n WHERE n.project_id = $1 AND n.page_id = x.p)
         ON CONFLICT (project_id, page_id, file_key) DO UPDATE SET
           url = EXCLUDED.url, expires_at = EXCLUDED.expires_at, seen_at = EXCLUDED.seen_at, source = EXCLUDED.source
         WHERE EXCLUDED.expires_at IS NULL OR f.expires_at IS NULL OR EXCLUDED.expires_at >= f.expires_at`,
        [
          projectId,
          source,
          seenAt,
          rows.map((r) => r.pageId),
          rows.map((r) => r.key),
          rows.map((r) => r.f.identity),
          rows.map((r) => r.f.url),
          rows.map((r) => r.f.expiresAt),
        ],
      );
    if (manager) {
      await statement(manager);
      return;
    }
    try {
      await statement(this.db);
    } catch (err) {
      this.logger.debug({ msg: 'File URLs not cached', projectId, reason: (err as Error).message });
    }
  }
}
