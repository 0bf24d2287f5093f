import type { DataSourceSchema } from '@app/contracts';
import { exactTimestamp } from '@app/database';
import { normalizeNotionId } from '@app/notion';
import { PropertyLookup } from '../read/property-lookup.js';
import { compileFilter } from './filter.compiler.js';
import { invalid } from './query.errors.js';
import { castOf, compileSorts, type SortKey } from './sort.compiler.js';
import { SqlParams } from './sql-params.js';

/**
 * The SQL of a Notion-style query (docs/queries.md), as pure functions of the
 * schema, the query and the clock: `MirrorQuery` runs them, and the query
 * benchmark runs the very same statements straight through `pg`.
 */

/** A cursor's position: the sort keys' values of the last row returned, and its page id. */
export interface QueryPosition {
  readonly values: ReadonlyArray<string | number | boolean | null>;
  readonly id: string;
}

/** What a query asks (the body of `POST /pages/query`, checked by the mirror). */
export interface QueryShape {
  readonly filter?: unknown;
  readonly sorts?: unknown;
  readonly dataSourceId?: string;
  readonly includeDeleted: boolean;
}

/** The live data sources of a project by id, and in order. */
export interface SchemaLike {
  readonly dataSources: readonly DataSourceSchema[];
  readonly byId: ReadonlyMap<string, DataSourceSchema>;
}

/**
 * `valued` walks the first key's index over pages that have a value for it,
 * `empty` reads the pages that have none, `all` is one statement in the plain order.
 */
export type QueryPart = 'valued' | 'empty' | 'all';

export interface Statement {
  readonly sql: string;
  readonly params: unknown[];
}

/** The selected row: the page's columns and the sort keys' values `s0`, `s1`, … */
export const PAGE_COLUMNS = `p.page_id, p.data_source_id, p.title, p.properties, p.plain_values, p.url, p.icon,
  p.cover, p.created_time, p.last_edited_time, p.in_trash, p.deleted_at, p.synced_at, p.version::text AS version,
  p.content_version::text AS content_version`;

/** Compiles (and so validates: `InvalidQueryError`) the filter and sorts against the schema. */
export function compileQuery(schema: SchemaLike, query: QueryShape, params: SqlParams, now: Date) {
  let dataSourceId: string | undefined;
  if (query.dataSourceId !== undefined) {
    dataSourceId = normalizeNotionId(query.dataSourceId);
    if (!dataSourceId || !schema.byId.has(dataSourceId))
      throw invalid('dataSourceId', 'no data source with this id in the project');
  } else if (schema.dataSources.length === 1) {
    dataSourceId = schema.dataSources[0]!.id;
  }
  const source = dataSourceId === undefined ? undefined : schema.byId.get(dataSourceId);
  const lookup = source ? new PropertyLookup(source.properties) : undefined;
  const filter = compileFilter(query.filter, { params, lookup, now });
  const keys = compileSorts(query.sorts, lookup);
  return { filter, keys, dataSourceId };
}

/** What a query's statements depend on besides its position: checked (and compiled) once per request. */
export interface QueryPlan {
  /** Sort keys, so the values a cursor holds. */
  readonly keyCount: number;
  /** Sorted first by an indexed element column within one data source: the valued part, then the empty part. */
  readonly walksIndex: boolean;
}

/** Compiles the query once against the schema (`InvalidQueryError` when it does not fit) and plans its statements. */
export function planQuery(schema: SchemaLike, query: QueryShape): QueryPlan {
  const { keys, dataSourceId } = compileQuery(schema, query, new SqlParams(), new Date());
  return { keyCount: keys.length, walksIndex: keys[0]!.indexed !== undefined && dataSourceId !== undefined };
}

/**
 * Which statements a query runs, in order, each with the position it starts
 * after: sorted by a walked index, the valued part and then (when it runs
 * out) the empty part, which a position in the valued part precedes whole;
 * a position in the empty part skips the valued part. Otherwise one statement.
 */
export function queryParts(
  plan: QueryPlan,
  after: QueryPosition | undefined,
): Array<{ readonly part: QueryPart; readonly after: QueryPosition | undefined }> {
  if (!plan.walksIndex) return [{ part: 'all', after }];
  if (after && after.values[0] === null) return [{ part: 'empty', after }];
  return [
    { part: 'valued', after },
    { part: 'empty', after: undefined },
  ];
}

/**
 * One statement of a query: rows after `after` (a position in this part, or
 * none), `limit` at most. For `empty` after a position in `valued`, pass no
 * position: the whole part follows it.
 */
export function queryStatement(
  projectId: string,
  schema: SchemaLike,
  query: QueryShape,
  now: Date,
  after: QueryPosition | undefined,
  limit: number,
  part: QueryPart,
): Statement {
  const params = new SqlParams();
  const project = params.bind(projectId, '::uuid');
  const { filter, keys, dataSourceId } = compileQuery(schema, query, params, now);
  const where = [`p.project_id = ${project}`, `(${filter})`];
  if (dataSourceId) where.push(`p.data_source_id = ${params.bind(dataSourceId, '::uuid')}`);
  if (!query.includeDeleted) where.push('p.deleted_at IS NULL');
  const first = keys[0]!;
  const tieDirection = first.direction;
  let from = 'notion_pages p';
  // Each key's SQL for this statement: in the valued part the first key is
  // the walked element `s`, in the empty part it is NULL.
  let rendered: string[];
  if (part === 'all') {
    rendered = keys.map((k) => k.render(params));
  } else {
    const { propertyId, column, table } = first.indexed!;
    // page_numbers and page_dates hold values only; page_values holds texts and booleans.
    const valued = column === 'k' ? ` AND s.k IS NOT NULL` : '';
    const element =
      `s.project_id = p.project_id AND s.page_id = p.page_id AND s.property_id = ${params.bind(propertyId, '::text')} ` +
      `AND s.ord = 0${valued}`;
    if (part === 'valued') {
      from = `${table} s JOIN notion_pages p ON ${element}`;
      where.push(`s.project_id = ${project}`);
    } else {
      where.push(`NOT EXISTS (SELECT 1 FROM ${table} s WHERE ${element})`);
    }
    rendered = [part === 'valued' ? `s.${column}` : 'NULL', ...keys.slice(1).map((k) => k.render(params))];
  }
  const effective = keys.map((k, i) => ({ ...k, sql: rendered[i]! }));
  if (after) where.push(keyset(effective, after, params, tieDirection, part));
  const selected = effective.map((k, i) => {
    if (k.sql === 'NULL') return `NULL::text AS s${i}`;
    return `${k.kind === 'time' ? exactTimestamp(k.sql) : k.sql} AS s${i}`;
  });
  // Ordered by the keys' expressions (an index serves an expression, not an
  // alias). No NULLS clause where nothing is empty (the walked element, the
  // page's own times): the planner matches an index only to its null order.
  const nulls = (k: { never?: 'empty' }, i: number) =>
    (i === 0 && part === 'valued') || k.never === 'empty' ? '' : ' NULLS LAST';
  const order = [
    ...effective.filter((k) => k.sql !== 'NULL').map((k) => `${k.sql} ${k.direction}${nulls(k, effective.indexOf(k))}`),
    `${part === 'valued' ? 's' : 'p'}.page_id ${tieDirection}`,
  ];
  const sql = `SELECT ${PAGE_COLUMNS}, ${selected.join(', ')} FROM ${from}
      WHERE ${where.join(' AND ')}
      ORDER BY ${order.join(', ')}
      LIMIT ${limit}`;
  return { sql, params: params.values };
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
  part: QueryPart,
): string {
  const value = (i: number) => params.bind(after.values[i], castOf(keys[i]!.kind));
  const equal = (i: number) => (after.values[i] === null ? `${keys[i]!.sql} IS NULL` : `${keys[i]!.sql} = ${value(i)}`);
  const never = (i: number) => (i === 0 && part === 'valued') || keys[i]!.never === 'empty';
  const beyond = (i: number) => {
    if (after.values[i] === null) return 'FALSE';
    const sign = keys[i]!.direction === 'asc' ? '>' : '<';
    const strict = `${keys[i]!.sql} ${sign} ${value(i)}`;
    return never(i) ? strict : `(${strict} OR ${keys[i]!.sql} IS NULL)`;
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
  // The first key never empty: a plain bound on it lets an index walk start at the cursor.
  if (part === 'empty' || after.values[0] === null || !never(0)) return condition;
  const sign = keys[0]!.direction === 'asc' ? '>=' : '<=';
  return `${keys[0]!.sql} ${sign} ${value(0)} AND ${condition}`;
}
