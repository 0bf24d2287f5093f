import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig } from '@app/config';
import { selectRows } from '@app/database';
import { fileKey } from '@app/notion';
import { FileLinkCodec } from './file-link.codec.js';

/** The path file links are served under (the gateway's `FilesController`). */
export const FILES_PATH = 'files';

/** A file link resolved against the live mirror. */
export type ResolvedFile =
  | {
      readonly found: true;
      readonly projectId: string;
      readonly pageId: string;
      readonly source: 'page' | 'content';
      /** Notion's latest signed URL in the cache, and when it expires. */
      readonly url: string;
      readonly expiresAt: Date | null;
      /** When a fetch last saw that URL (a refresh just made is not made again). */
      readonly seenAt: Date;
    }
  /** Forged or altered: 403. */
  | { readonly found: false; readonly reason: 'tampered' }
  /** Signed by a key no longer first in the ring, or the file, page or project is gone: 404. */
  | { readonly found: false; readonly reason: 'revoked' | 'gone' };

/** Makes a project's page's file link from a file's identity. */
export type FileLinker = (pageId: string, identity: string) => string;

/**
 * Our stable links to Notion-hosted files (`GET /api/v1/files/{ref}`): the
 * ref is signed (HMAC, bound to project, page and the file's identity, see
 * `FileLinkCodec`) and never expires, so clients may store it, and it is
 * checked against the live mirror at each use: a tombstoned page, a deleted
 * project, a file the page no longer shows, or a rotated key revokes it.
 */
@Injectable()
export class FileLinks {
  private readonly base: string;

  constructor(
    config: AppConfig,
    private readonly codec: FileLinkCodec,
    @InjectDataSource() private readonly db: DataSource,
  ) {
    this.base = `${config.gateway.publicBaseUrl.replace(/\/+$/, '')}/api/v1/${FILES_PATH}/`;
  }

  /** The linker of one project's pages. */
  linker(projectId: string): FileLinker {
    return (pageId, identity) => this.base + this.codec.sign({ projectId, pageId, fileKey: fileKey(identity) });
  }

  /** Which key signs links now: part of an ETag over content with links in it. */
  get keyId(): string {
    return this.codec.keyId;
  }

  /**
   * Opens a ref and checks it against the mirror: the page is live and still
   * shows the file (in its properties, icon, cover or body). A bad ref costs
   * no query.
   */
  async resolve(ref: string): Promise<ResolvedFile> {
    const opened = this.codec.open(ref);
    if (!opened.ok) return { found: false, reason: opened.reason };
    const { projectId, pageId } = opened;
    const [row] = await selectRows<{
      source: 'page' | 'content';
      url: string;
      expires_at: Date | null;
      seen_at: Date;
    }>(
      this.db,
      `SELECT f.source, f.url, f.expires_at, f.seen_at
         FROM page_files f
         JOIN notion_pages n ON n.project_id = f.project_id AND n.page_id = f.page_id AND n.deleted_at IS NULL
         LEFT JOIN page_contents c ON c.project_id = f.project_id AND c.page_id = f.page_id
        WHERE f.project_id = $1 AND f.page_id = $2 AND f.file_key = $3
          AND (f.identity = ANY(c.files)
            OR n.icon -> 'file' ->> 'url' = f.identity
            OR n.cover -> 'file' ->> 'url' = f.identity
            OR jsonb_path_exists(n.properties, 'strict $.**.file.url ? (@ == $id)',
                                 jsonb_build_object('id', f.identity)))`,
      [projectId, pageId, opened.fileKey],
    );
    if (!row) return { found: false, reason: 'gone' };
    return {
      found: true,
      projectId,
      pageId,
      source: row.source,
      url: row.url,
      expiresAt: row.expires_at,
      seenAt: row.seen_at,
    };
  }
}
