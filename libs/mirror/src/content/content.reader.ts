import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { selectRows } from '@app/database';
import { rewriteMarkdownFiles } from '@app/notion';
import { FileLinks } from '../files/file-links.js';

/** A block of the body that is not in the Markdown, and why (`unshared`, `unsupported`, `truncated`). */
export interface UnknownBlockView {
  readonly id: string;
  readonly reason: string;
}

/** A page's body as the content API serves it. */
export interface PageContentView {
  /** Notion's Markdown, its Notion-hosted files as our stable links. */
  readonly markdown: string;
  readonly truncated: boolean;
  /** `size_cap` or `too_many_parts` when truncated. */
  readonly truncatedReason: string | null;
  readonly unknownBlocks: readonly UnknownBlockView[];
  /** Start of the fetch the body came from. */
  readonly fetchedAt: Date;
  /** The page version at which the body last changed (the page rows' `contentVersion`). */
  readonly version: string;
  /** Why Notion gave no body for this page, when it did not. */
  readonly error: string | null;
  /** Which key signed the links in it (part of the ETag: a key rotation changes every link). */
  readonly linkKeyId: string;
}

/** What the mirror holds for a page's body. */
export type ContentLookup =
  | { readonly state: 'found'; readonly content: PageContentView }
  /** The page is mirrored, its body not (yet, or the project does not sync bodies). */
  | { readonly state: 'pending'; readonly syncContent: boolean }
  | { readonly state: 'no-page' };

/** Reads page bodies (`page_contents`, written by libs/sync). */
@Injectable()
export class ContentReader {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly links: FileLinks,
  ) {}

  async content(projectId: string, pageId: string): Promise<ContentLookup> {
    const [row] = await selectRows<{
      content_sync: boolean;
      markdown: string | null;
      truncated: boolean | null;
      truncated_reason: string | null;
      unknown_blocks: UnknownBlockView[] | null;
      files: string[] | null;
      error: string | null;
      fetched_at: Date | null;
      version: string | null;
    }>(
      this.db,
      `SELECT p.content_sync, c.markdown, c.truncated, c.truncated_reason, c.unknown_blocks, c.files, c.error,
              c.fetched_at, c.version::text AS version
         FROM notion_pages n
         JOIN projects p ON p.id = n.project_id
         LEFT JOIN page_contents c ON c.project_id = n.project_id AND c.page_id = n.page_id
        WHERE n.project_id = $1 AND n.page_id = $2`,
      [projectId, pageId],
    );
    if (!row) return { state: 'no-page' };
    if (row.markdown === null) return { state: 'pending', syncContent: row.content_sync };
    const link = this.links.linker(projectId);
    return {
      state: 'found',
      content: {
        markdown: rewriteMarkdownFiles(row.markdown, new Set(row.files ?? []), (identity) => link(pageId, identity)),
        truncated: row.truncated!,
        truncatedReason: row.truncated_reason,
        unknownBlocks: row.unknown_blocks ?? [],
        fetchedAt: row.fetched_at!,
        version: row.version!,
        error: row.error,
        linkKeyId: this.links.keyId,
      },
    };
  }
}
