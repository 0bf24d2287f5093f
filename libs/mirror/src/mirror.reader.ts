import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { exactTimestamp, selectRows } from '@app/database';
import { FileLinks, type FileLinker } from './files/file-links.js';
import { servedFiles } from './files/served-files.js';
import type { MirrorPageView } from './mirror-page.js';
import { NotionPageEntity } from './notion-page.entity.js';
import { SchemaReader, type ProjectSchemaView } from './read/schema.reader.js';
import { resolveSelection, servedValues, type ValueSelection } from './read/served-values.js';
import { titleContainsPattern } from './read/title-search.js';

/** A position in a project's page list, ordered by (last_edited_time DESC, page_id DESC). */
export interface PagePosition {
  /** Exact UTC text of `last_edited_time` as Postgres prints it, microseconds included. */
  readonly at: string;
  readonly id: string;
}

export interface ListPagesOptions {
  readonly limit: number;
  /** Start after this position (the `next` of the previous call). */
  readonly after?: PagePosition;
  /** Include tombstones (rows with `deletedAt` set). */
  readonly includeDeleted: boolean;
  /** Case-insensitive substring of the title, taken literally. */
  readonly q?: string;
  /** Only these properties in `values` and `properties` (ids or names: `filter_properties`). */
  readonly select?: readonly string[];
}

export interface PageListing {
  readonly items: MirrorPageView[];
  /** Where the next page starts; null when this was the last. */
  readonly next: PagePosition | null;
}

/** A slice of a project's change feed. */
export interface MirrorChanges {
  /** Rows whose latest write is after the asked version, in version order. */
  readonly items: MirrorPageView[];
  /** The last returned version, or the asked one when nothing was returned. */
  readonly nextAfter: string;
  readonly hasMore: boolean;
}

/** Exact UTC text of last_edited_time (microseconds), for keyset positions. */
const LAST_EDITED_TEXT = exactTimestamp('p.last_edited_time');

/**
 * Reads the mirror for the gateway's read API. Every query names the project;
 * whether the caller may read that project is the caller's to check first.
 */
@Injectable()
export class MirrorReader {
  constructor(
    @InjectRepository(NotionPageEntity) private readonly pages: Repository<NotionPageEntity>,
    private readonly schemas: SchemaReader,
    private readonly links: FileLinks,
  ) {}

  /** The project's schema and the resolved selection: read before the rows (a bad name runs no page query). */
  private async shaping(projectId: string, select: readonly string[] | undefined): Promise<Shaping> {
    const schema = await this.schemas.schema(projectId);
    return { schema, selection: resolveSelection(schema, select), link: this.links.linker(projectId) };
  }

  /**
   * Newest edit first. Notion rounds `last_edited_time` to the minute, so ties
   * are common: the keyset includes `page_id`, and no page is skipped or
   * repeated while the list holds still (an edit moves a page to the front).
   */
  async listPages(projectId: string, options: ListPagesOptions): Promise<PageListing> {
    const shaping = await this.shaping(projectId, options.select);
    const query = this.pages
      .createQueryBuilder('p')
      .addSelect(LAST_EDITED_TEXT, 'cursor_at')
      .where('p.project_id = :projectId', { projectId })
      .orderBy('p.last_edited_time', 'DESC')
      .addOrderBy('p.page_id', 'DESC')
      // One more than asked: whether it comes back says whether more follow.
      .limit(options.limit + 1);
    if (options.after) {
      query.andWhere('(p.last_edited_time, p.page_id) < (:at::timestamptz, :id::uuid)', {
        at: options.after.at,
        id: options.after.id,
      });
    }
    if (!options.includeDeleted) query.andWhere('p.deleted_at IS NULL');
    if (options.q !== undefined) {
      query.andWhere(`p.title ILIKE :pattern ESCAPE '\\'`, { pattern: titleContainsPattern(options.q) });
    }
    const { entities, raw } = await query.getRawAndEntities<{ cursor_at: string }>();
    const page = entities.slice(0, options.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => toView(row, shaping)),
      next: entities.length > options.limit && last ? { at: raw[page.length - 1]!.cursor_at, id: last.pageId } : null,
    };
  }

  /** One page, tombstoned or not; null when the project has no such row. */
  async getPage(projectId: string, pageId: string, select?: readonly string[]): Promise<MirrorPageView | null> {
    const shaping = await this.shaping(projectId, select);
    const row = await this.pages.findOneBy({ projectId, pageId });
    return row ? toView(row, shaping) : null;
  }

  /**
   * Each project's newest change-feed version (projects without rows are
   * absent): one index lookup per project, so a live stream's timer learns
   * which feeds moved without reading them.
   */
  async heads(projectIds: readonly string[]): Promise<Map<string, string>> {
    if (projectIds.length === 0) return new Map();
    const rows = await selectRows<{ project_id: string; version: string }>(
      this.pages.manager,
      `SELECT p.id AS project_id, h.version::text AS version
       FROM unnest($1::uuid[]) AS p(id)
       CROSS JOIN LATERAL (SELECT max(version) AS version FROM notion_pages WHERE project_id = p.id) h
       WHERE h.version IS NOT NULL`,
      [projectIds],
    );
    return new Map(rows.map((row) => [row.project_id, row.version]));
  }

  /**
   * Rows written after version `after` (a decimal bigint), in version order.
   * Each row appears once, at its latest version. Writers of a project commit
   * its versions in increasing order (see the migration), so asking again
   * from `nextAfter` never misses a write.
   */
  async changes(projectId: string, after: string, limit: number, select?: readonly string[]): Promise<MirrorChanges> {
    const shaping = await this.shaping(projectId, select);
    const rows = await this.pages
      .createQueryBuilder('p')
      .where('p.project_id = :projectId', { projectId })
      .andWhere('p.version > :after::bigint', { after })
      .orderBy('p.version', 'ASC')
      .limit(limit + 1)
      .getMany();
    const items = rows.slice(0, limit).map((row) => toView(row, shaping));
    return {
      items,
      nextAfter: items.length ? items[items.length - 1]!.version : after,
      hasMore: rows.length > limit,
    };
  }
}

/** The schema that names values, and the properties a request asked for. */
export interface Shaping {
  readonly schema: ProjectSchemaView;
  readonly selection: ValueSelection | undefined;
  /** Stable links for the project's Notion-hosted files. */
  readonly link: FileLinker;
}

/** What a view is made of: a page row's columns, from the entity or from a query's own SELECT. */
export type StoredPage = Omit<NotionPageEntity, 'projectId' | 'fetchedAt'>;

export function toView(row: StoredPage, { schema, selection, link }: Shaping): MirrorPageView {
  const { properties, values } = servedValues(row, schema, selection);
  const files = servedFiles({ properties, values, icon: row.icon, cover: row.cover }, (identity) =>
    link(row.pageId, identity),
  );
  return {
    id: row.pageId,
    dataSourceId: row.dataSourceId,
    title: row.title,
    properties: files.properties,
    values: files.values,
    url: row.url,
    icon: files.icon,
    cover: files.cover,
    createdTime: row.createdTime,
    lastEditedTime: row.lastEditedTime,
    inTrash: row.inTrash,
    deletedAt: row.deletedAt,
    version: row.version,
    contentVersion: row.contentVersion,
    syncedAt: row.syncedAt,
  };
}
