import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { selectRows } from '@app/database';
import type { MirrorPageView } from '../mirror-page.js';
import { FileLinks } from '../files/file-links.js';
import { toView, type StoredPage } from '../mirror.reader.js';
import { SchemaReader, type ProjectSchemaView } from '../read/schema.reader.js';
import { resolveSelection, type ValueSelection } from '../read/served-values.js';
import {
  planQuery,
  queryParts,
  queryStatement,
  type QueryPlan,
  type QueryPosition,
  type QueryShape,
} from './page-query.sql.js';

export type { QueryPosition } from './page-query.sql.js';

export interface PageQueryInput extends QueryShape {
  readonly pageSize: number;
  /** Only these properties in `values` and `properties`. */
  readonly select?: readonly string[];
}

export interface PageQueryResult {
  readonly items: MirrorPageView[];
  /** Where the next page starts; null when this was the last. */
  readonly next: QueryPosition | null;
  /** The schema version the query was compiled against (a cursor is bound to it). */
  readonly schemaVersion: string;
}

/** The query's prepared parts (the cursor checks them before the position is trusted). */
export interface PreparedQuery {
  readonly schema: ProjectSchemaView;
  /** `plan.keyCount`: the values a cursor of this query holds. */
  readonly plan: QueryPlan;
  readonly selection: ValueSelection | undefined;
}

interface Row {
  page_id: string;
  data_source_id: string | null;
  title: string;
  properties: Record<string, unknown>;
  plain_values: Record<string, unknown>;
  url: string | null;
  icon: unknown;
  cover: unknown;
  created_time: Date;
  last_edited_time: Date;
  in_trash: boolean;
  deleted_at: Date | null;
  synced_at: Date;
  version: string;
  content_version: string | null;
  [key: `s${number}`]: string | number | boolean | null;
}

/**
 * Runs Notion-style queries on the mirror (docs/queries.md). The order is
 * total: the sort keys with empty values last, then the page id in the first
 * sort's direction; pages come in keyset pages after a `QueryPosition`.
 *
 * Sorted first by an indexed element column (a date, a number, a text), a
 * query runs in two parts: the pages that have a value, walking the index
 * `(project, property, value, page)` in order and stopping after a page of
 * rows (a deep cursor starts the walk at its position); then, when those run
 * out, the pages without one. Other orders run as one statement.
 */
@Injectable()
export class MirrorQuery {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly schemas: SchemaReader,
    private readonly links: FileLinks,
  ) {}

  /**
   * Validates the query against the project's schema (400 `InvalidQueryError`
   * naming the offending part) without running it; the position, if any, is
   * checked by the caller against `keyCount` before `run`.
   */
  async prepare(projectId: string, input: PageQueryInput): Promise<PreparedQuery> {
    const schema = await this.schemas.schema(projectId);
    return { schema, plan: planQuery(schema, input), selection: resolveSelection(schema, input.select) };
  }

  async run(
    projectId: string,
    { schema, plan, selection }: PreparedQuery,
    input: PageQueryInput,
    after: QueryPosition | undefined,
  ): Promise<PageQueryResult> {
    const now = new Date();
    const limit = input.pageSize + 1;
    let rows: Row[] = [];
    for (const { part, after: position } of queryParts(plan, after)) {
      const { sql, params } = queryStatement(projectId, schema, input, now, position, limit - rows.length, part);
      rows = [...rows, ...(await selectRows<Row>(this.db, sql, params))];
      if (rows.length >= limit) break;
    }
    const page = rows.slice(0, input.pageSize);
    const last = page[page.length - 1];
    const link = this.links.linker(projectId);
    return {
      items: page.map((row) => toView(storedPage(row), { schema, selection, link })),
      next:
        rows.length > input.pageSize && last
          ? { values: Array.from({ length: plan.keyCount }, (_, i) => last[`s${i}`] ?? null), id: last.page_id }
          : null,
      schemaVersion: schema.version,
    };
  }
}

function storedPage(row: Row): StoredPage {
  return {
    pageId: row.page_id,
    dataSourceId: row.data_source_id,
    title: row.title,
    properties: row.properties,
    plainValues: row.plain_values,
    url: row.url,
    icon: row.icon,
    cover: row.cover,
    createdTime: row.created_time,
    lastEditedTime: row.last_edited_time,
    inTrash: row.in_trash,
    deletedAt: row.deleted_at,
    syncedAt: row.synced_at,
    version: row.version,
    contentVersion: row.content_version,
  };
}
