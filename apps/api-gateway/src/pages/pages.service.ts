import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { ProjectSchema } from '@app/contracts';
import {
  ChangesExpiredError,
  ContentReader,
  PageContentNotFoundError,
  type PageContentView,
  InvalidQueryError,
  loadContentHtml,
  MirrorQuery,
  MirrorReader,
  PageNotFoundError,
  SchemaReader,
  type MirrorChanges,
  type MirrorPageView,
  type PageQueryInput,
  type QueryPosition,
} from '@app/mirror';
import { InvalidCursorError, KeysetCursorCodec, ProjectsService } from '@app/projects';
import { ProjectSyncStore } from '@app/sync';
import type { ContentFormat } from './dto/page-content.dto.js';

export interface ListPagesInput {
  readonly limit: number;
  readonly cursor?: string;
  readonly includeDeleted: boolean;
  readonly q?: string;
  readonly select?: readonly string[];
}

export interface QueryPagesInput extends PageQueryInput {
  readonly cursor?: string;
}

/** A page's body as the content route answers it. */
export interface PageBody {
  readonly view: PageContentView;
  readonly etag: string;
  readonly html: () => Promise<string | undefined>;
}

export interface PageList {
  readonly items: MirrorPageView[];
  readonly nextCursor: string | null;
}

/**
 * A cursor is valid only on the list it came from: one owner's one project.
 * The project id (fixed length) comes first, so no owner id can forge another
 * pair, and the prefix keeps these apart from the projects list's cursors.
 */
const cursorScope = (ownerId: string, projectId: string) => `pages:${projectId}:${ownerId}`;

/**
 * The owner's read API over the mirror: every call checks that the project is
 * the caller's (404 otherwise, as for one that does not exist) before reading.
 */
@Injectable()
export class PagesService {
  constructor(
    private readonly projects: ProjectsService,
    private readonly mirror: MirrorReader,
    private readonly cursors: KeysetCursorCodec,
    private readonly syncState: ProjectSyncStore,
    private readonly query: MirrorQuery,
    private readonly schemas: SchemaReader,
    private readonly contents: ContentReader,
  ) {}

  /**
   * A page's body in a format, with its `ETag`; 404 `page-not-found` or
   * `page-content-not-found` (not fetched yet, or bodies off). The HTML is
   * rendered only when asked for (`html()`): a 304 costs no rendering.
   */
  async content(ownerId: string, projectId: string, pageId: string, format: ContentFormat): Promise<PageBody> {
    await this.projects.get(ownerId, projectId);
    const found = await this.contents.content(projectId, pageId);
    if (found.state === 'no-page') throw new PageNotFoundError();
    if (found.state === 'pending') throw new PageContentNotFoundError(found.syncContent);
    const view = found.content;
    return {
      view,
      // The links in a body are signed by the current key: a rotation changes them, and so the tag.
      etag: `"${view.version}.${view.linkKeyId}.${format}"`,
      html: async () => (format === 'html' ? (await loadContentHtml()).renderContentHtml(view.markdown) : undefined),
    };
  }

  async schema(ownerId: string, projectId: string): Promise<ProjectSchema> {
    await this.projects.get(ownerId, projectId);
    return this.schemas.served(projectId);
  }

  /**
   * A Notion-style query (docs/queries.md). Validated against the schema
   * first (400, no page query); a cursor is valid only for the same owner,
   * project, query and schema version (its signature's scope says so).
   */
  async queryPages(ownerId: string, projectId: string, input: QueryPagesInput): Promise<PageList> {
    await this.projects.get(ownerId, projectId);
    const prepared = await this.query.prepare(projectId, input);
    const scope = queryScope(ownerId, projectId, prepared.schema.version, input);
    let after: QueryPosition | undefined;
    if (input.cursor !== undefined) {
      after = asPosition(this.cursors.open(input.cursor, scope), prepared.plan.keyCount);
      if (!after)
        throw new InvalidQueryError({
          field: 'start_cursor',
          message:
            'not a cursor of this query: pass nextCursor back unchanged, with the same filter, sorts, ' +
            'dataSourceId and includeDeleted (a cursor also ends when the schema changes)',
        });
    }
    const result = await this.query.run(projectId, prepared, input, after);
    return {
      items: result.items,
      nextCursor: result.next ? this.cursors.seal([result.next.values, result.next.id], scope) : null,
    };
  }

  async list(ownerId: string, projectId: string, input: ListPagesInput): Promise<PageList> {
    await this.projects.get(ownerId, projectId);
    const scope = cursorScope(ownerId, projectId);
    const after = input.cursor === undefined ? undefined : this.cursors.decode(input.cursor, scope);
    if (input.cursor !== undefined && !after) throw new InvalidCursorError();
    const listing = await this.mirror.listPages(projectId, {
      limit: input.limit,
      after,
      includeDeleted: input.includeDeleted,
      q: input.q,
      select: input.select,
    });
    return {
      items: listing.items,
      nextCursor: listing.next ? this.cursors.encode(listing.next, scope) : null,
    };
  }

  async get(ownerId: string, projectId: string, pageId: string, select?: readonly string[]): Promise<MirrorPageView> {
    await this.projects.get(ownerId, projectId);
    const page = await this.mirror.getPage(projectId, pageId, select);
    if (!page) throw new PageNotFoundError();
    return page;
  }

  /**
   * The change feed after `after`, or `ChangesExpiredError` (410) when a
   * tombstone newer than `after` was purged: the client holds versions up to
   * `after`, so it would never learn of that deletion. `after` = 0 is always
   * valid (the client has nothing yet; the live rows are all it needs), and so
   * is `after` equal to the watermark (that tombstone was seen).
   */
  async changes(
    ownerId: string,
    projectId: string,
    after: string,
    limit: number,
    select?: readonly string[],
  ): Promise<MirrorChanges> {
    await this.projects.get(ownerId, projectId);
    const feed = await this.mirror.changes(projectId, after, limit, select);
    // Read after the rows: a purge moves the watermark before it deletes, so a
    // tombstone this read missed is always covered by the watermark read next.
    await this.checkPosition(projectId, after);
    return feed;
  }

  /**
   * Checks that a change stream may start at `after` (the owner's project, a
   * position at or above the purge watermark, properties it knows) before any
   * byte of it is sent; answers the position to start from.
   * The stream's first rows are read later: a purge that moves the watermark
   * past `after` meanwhile deletes only tombstones older than the retention
   * horizon, which a stream opened now could not have missed but by a race
   * the horizon (days) makes moot.
   */
  async openChanges(ownerId: string, projectId: string, after: string, select?: readonly string[]): Promise<string> {
    await this.projects.get(ownerId, projectId);
    await this.checkPosition(projectId, after);
    // A property the project does not know is a 400 here, not a stream that ends at its first read.
    if (select?.length) await this.mirror.changes(projectId, after, 1, select);
    // A position past the project's newest version (another project's id, a
    // restored database) starts at that version: no row lies between them,
    // and a stream must never hold a position the feed has not reached.
    const head = (await this.mirror.heads([projectId])).get(projectId) ?? '0';
    return BigInt(after) > BigInt(head) ? head : after;
  }

  /** `ChangesExpiredError` (410) when a tombstone newer than `after` was purged (see `changes`). */
  private async checkPosition(projectId: string, after: string): Promise<void> {
    if (after !== '0' && BigInt(after) < BigInt(await this.syncState.purgeWatermark(projectId))) {
      throw new ChangesExpiredError();
    }
  }
}

/**
 * A query cursor's scope: owner, project, schema version and the query itself
 * (its filter, sorts, data source and tombstone choice, as sent), hashed.
 */
function queryScope(ownerId: string, projectId: string, schemaVersion: string, input: QueryPagesInput): string {
  const query = stableJson([
    input.filter ?? null,
    input.sorts ?? null,
    input.dataSourceId ?? null,
    input.includeDeleted,
  ]);
  const digest = createHash('sha256').update(query).digest('base64url');
  return `query:${projectId}:${schemaVersion}:${digest}:${ownerId}`;
}

/** JSON with object keys in one order, so the same query hashes the same however its keys were ordered. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A sealed position, checked (the signature proves it is ours; the shape still is checked). */
function asPosition(opened: unknown, keyCount: number): QueryPosition | undefined {
  if (!Array.isArray(opened) || opened.length !== 2) return undefined;
  const [values, id] = opened as [unknown, unknown];
  if (!Array.isArray(values) || values.length !== keyCount || typeof id !== 'string') return undefined;
  const scalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  return values.every(scalar) ? { values: values as QueryPosition['values'], id } : undefined;
}
