import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { exactTimestamp, selectRows } from '@app/database';
import { normalizeNotionId } from '@app/notion';
import type { MirrorPageView } from '../mirror-page.js';
import { toView } from '../mirror.reader.js';
import type { NotionPageEntity } from '../notion-page.entity.js';
import { SchemaReader, type ProjectSchemaView } from '../read/schema.reader.js';
import { resolveSelection } from '../read/served-values.js';
import { compileFilter, PropertyLookup } from './filter.compiler.js';
import { invalid } from './query.errors.js';
import { castOf, compileSorts, type SortKey } from './sort.compiler.js';
import { SqlParams } from './sql-params.js';

/** A cursor's position: the sort keys' values of the last row returned, and its page id. */
export interface QueryPosition {
  readonly values: ReadonlyArray<string | number | boolean | null>;
  readonly id: string;
}

export interface PageQueryInput {
  readonly filter?: unknown;
  readonly sorts?: unknown;
  readonly pageSize: number;
  readonly dataSourceId?: string;
  readonly includeDeleted: boolean;
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
  /** Sort keys, for the cursor's shape. */
  readonly keyCount: number;
}

const COLUMNS = `p.page_id, p.data_source_id, p.title, p.properties, p.plain_values, p.url, p.icon,
  p.created_time, p.last_edited_time, p.in_trash, p.deleted_at, p.synced_at, p.version::text AS version`;

interface Row {
  page_id: string;
  data_source_id: string | null;
  title: string;
  properties: Record<string, unknown>;
  plain_values: Record<string, unknown>;
  url: string | null;
  icon: unknown;
  created_time: Date;
  last_edited_time: Date;
  in_trash: boolean;
  deleted_at: Date | null;
  synced_at: Date;
  version: string;
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
  ) {}

  /**
   * Validates the query against the project's schema (400 `InvalidQueryError`
   * naming the offending part) without running it; the position, if any, is
   * checked by the caller against `keyCount` before `run`.
   */
  async prepare(projectId: string, input: PageQueryInput): Promise<PreparedQuery> {
    const schema = await this.schemas.schema(projectId);
    const { keys } = this.compile(schema, input, new SqlParams(), new Date());
    resolveSelection(schema, input.select);
    return { schema, keyCount: keys.length };
  }

  async run(
    projectId: string,
    { schema }: PreparedQuery,
    input: PageQueryInput,
    after: QueryPosition | undefined,
  ): Promise<PageQueryResult> {
    const now = new Date();
    const selection = resolveSelection(schema, input.select);
    const limit = input.pageSize + 1;
    const probe = this.compile(schema, input, new SqlParams(), now);
    const first = probe.keys[0]!;
    let rows: Row[];
    if (first.indexed && probe.dataSourceId) {
      rows = [];
      // The part with values, unless the cursor already is in the empty part.
      if (!after || after.values[0] !== null) {
        rows = await this.part(projectId, schema, input, now, after, limit, 'valued');
      }
      if (rows.length < limit) {
        const rest = await this.part(
          projectId,
          schema,
          input,
          now,
          after && after.values[0] === null ? after : undefined,
          limit - rows.length,
          'empty',
        );
        rows = [...rows, ...rest];
      }
    } else {
      rows = await this.part(projectId, schema, input, now, after, limit, 'all');
    }
    const page = rows.slice(0, input.pageSize);
    const last = page[page.length - 1];
    return {
      items: page.map((row) => toView(entityOf(row), { schema, selection })),
      next:
        rows.length > input.pageSize && last
          ? { values: probe.keys.map((_, i) => last[`s${i}`] ?? null), id: last.page_id }
          : null,
      schemaVersion: schema.version,
    };
  }

  private compile(schema: ProjectSchemaView, input: PageQueryInput, params: SqlParams, now: Date) {
    let dataSourceId: string | undefined;
    if (input.dataSourceId !== undefined) {
      dataSourceId = normalizeNotionId(input.dataSourceId);
      if (!dataSourceId || !schema.byId.has(dataSourceId))
        throw invalid('dataSourceId', 'no data source with this id in the project');
    } else if (schema.dataSources.length === 1) {
      dataSourceId = schema.dataSources[0]!.id;
    }
    const source = dataSourceId === undefined ? undefined : schema.byId.get(dataSourceId);
    const lookup = source ? new PropertyLookup(source.properties) : undefined;
    const filter = compileFilter(input.filter, { params, lookup, now });
    const keys = compileSorts(input.sorts, lookup);
    return { filter, keys, dataSourceId };
  }

  /**
   * One statement: `valued` walks the first key's index over pages that have
   * a value for it, `empty` reads the pages that have none, `all` is the plain
   * order. `after` is a position in the same part (or, for `empty`, none: the
   * whole part follows a position in `valued`).
   */
  private async part(
    projectId: string,
    schema: ProjectSchemaView,
    input: PageQueryInput,
    now: Date,
    after: QueryPosition | undefined,
    limit: number,
    part: 'valued' | 'empty' | 'all',
  ): Promise<Row[]> {
    const params = new SqlParams();
    const project = params.bind(projectId, '::uuid');
    const { filter, keys, dataSourceId } = this.compile(schema, input, params, now);
    const where = [`p.project_id = ${project}`, `(${filter})`];
    if (dataSourceId) where.push(`p.data_source_id = ${params.bind(dataSourceId, '::uuid')}`);
    if (!input.includeDeleted) where.push('p.deleted_at IS NULL');
    const first = keys[0]!;
    const tieDirection = first.direction;
    let from = 'notion_pages p';
    // Each key's SQL for this statement: in the valued part the first key is
    // the walked element `s`, in the empty part it is NULL.
    let rendered: string[];
    if (part === 'all') {
      rendered = keys.map((k) => k.render(params));
    } else {
      const { propertyId, column } = first.indexed!;
      const element = `s.project_id = p.project_id AND s.page_id = p.page_id AND s.property_id = ${params.bind(propertyId, '::text')} AND s.ord = 0 AND s.${column} IS NOT NULL`;
      if (part === 'valued') {
        from = `page_values s JOIN notion_pages p ON ${element}`;
        where.push(`s.project_id = ${project}`);
      } else {
        where.push(`NOT EXISTS (SELECT 1 FROM page_values s WHERE ${element})`);
      }
      rendered = [part === 'valued' ? `s.${column}` : 'NULL', ...keys.slice(1).map((k) => k.render(params))];
    }
    const effective = keys.map((k, i) => ({ ...k, sql: rendered[i]! }));
    if (after) where.push(keyset(effective, after, params, tieDirection, part));
    const selected = effective.map((k, i) => {
      if (k.sql === 'NULL') return `NULL::text AS s${i}`;
      return `${k.kind === 'time' ? exactTimestamp(k.sql) : k.sql} AS s${i}`;
    });
    // The valued part orders by the walked index as it is (no NULLS clause:
    // none are there, and the planner would not match the index's null order).
    const order =
      part === 'valued'
        ? [
            `${effective[0]!.sql} ${first.direction}`,
            ...effective.slice(1).map((k, i) => `s${i + 1} ${k.direction} NULLS LAST`),
            `s.page_id ${tieDirection}`,
          ]
        : [...effective.map((k, i) => `s${i} ${k.direction} NULLS LAST`), `p.page_id ${tieDirection}`];
    const sql = `SELECT ${COLUMNS}, ${selected.join(', ')} FROM ${from}
      WHERE ${where.join(' AND ')}
      ORDER BY ${order.join(', ')}
      LIMIT ${limit}`;
    return selectRows<Row>(this.db, sql, params.values);
  }
}

/**
 * Rows after `after` in the order of `keys` (empty values last), then page
 * id: an OR of "equal on the keys before, after on this one". In the valued
 * part the first key is never NULL, and a redundant bound on it lets the
 * index walk start at the cursor.
 */
function keyset(
  keys: ReadonlyArray<SortKey & { readonly sql: string }>,
  after: QueryPosition,
  params: SqlParams,
  tieDirection: 'asc' | 'desc',
  part: 'valued' | 'empty' | 'all',
): string {
  const value = (i: number) => params.bind(after.values[i], castOf(keys[i]!.kind));
  const equal = (i: number) => (after.values[i] === null ? `${keys[i]!.sql} IS NULL` : `${keys[i]!.sql} = ${value(i)}`);
  const beyond = (i: number) => {
    if (after.values[i] === null) return 'FALSE';
    const sign = keys[i]!.direction === 'asc' ? '>' : '<';
    const strict = `${keys[i]!.sql} ${sign} ${value(i)}`;
    return i === 0 && part === 'valued' ? strict : `(${strict} OR ${keys[i]!.sql} IS NULL)`;
  };
  const start = part === 'empty' ? 1 : 0;
  const branches: string[] = [];
  for (let i = start; i <= keys.length; i++) {
    const equals = [];
    for (let j = start; j < i; j++) equals.push(equal(j));
    const last =
      i === keys.length
        ? `p.page_id ${tieDirection === 'asc' ? '>' : '<'} ${params.bind(after.id, '::uuid')}`
        : beyond(i);
    branches.push([...equals, last].join(' AND '));
  }
  const condition = `(${branches.map((b) => `(${b})`).join(' OR ')})`;
  if (part !== 'valued' || after.values[0] === null) return condition;
  const sign = keys[0]!.direction === 'asc' ? '>=' : '<=';
  return `${keys[0]!.sql} ${sign} ${value(0)} AND ${condition}`;
}

function entityOf(row: Row): NotionPageEntity {
  return {
    projectId: '',
    pageId: row.page_id,
    dataSourceId: row.data_source_id,
    title: row.title,
    properties: row.properties,
    plainValues: row.plain_values,
    url: row.url,
    icon: row.icon,
    createdTime: row.created_time,
    lastEditedTime: row.last_edited_time,
    inTrash: row.in_trash,
    deletedAt: row.deleted_at,
    fetchedAt: row.synced_at,
    syncedAt: row.synced_at,
    version: row.version,
  };
}
