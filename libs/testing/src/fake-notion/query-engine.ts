import { createHash } from 'node:crypto';

/**
 * The data-source query semantics the fake implements: timestamp filters
 * (`created_time` / `last_edited_time` with `equals`, `before`, `after`,
 * `on_or_before`, `on_or_after`), `and` / `or` groups of them (two levels deep at
 * most, as in Notion), timestamp sorts, and opaque keyset cursors. Anything else
 * is a 400 `validation_error`, so a test never passes on a filter the fake
 * silently ignored.
 */

export type TimestampField = 'created_time' | 'last_edited_time';

/** A row as the engine sees it: times in epoch ms, compared as numbers (fast at 10,000+ rows). */
export interface QueryRow {
  readonly id: string;
  readonly created: number;
  readonly edited: number;
}

export interface SortKey {
  readonly field: TimestampField;
  readonly descending: boolean;
}

export type RowPredicate = (row: QueryRow) => boolean;

/** Rendered as Notion's 400 `validation_error`. */
export class QueryValidationError extends Error {}

/**
 * Notion does not document the order of a query without `sorts`; the fake uses
 * newest created first, so code that needs an order has to ask for one.
 */
export const DEFAULT_SORTS: readonly SortKey[] = [{ field: 'created_time', descending: true }];

const OPERATORS = new Set(['equals', 'before', 'after', 'on_or_before', 'on_or_after']);
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;
/** Notion allows a compound filter inside a compound filter, no deeper. */
const MAX_GROUP_DEPTH = 2;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Compiles a query's `filter` into a predicate, or throws `QueryValidationError`. */
export function compileFilter(filter: unknown, depth = 0): RowPredicate {
  if (filter === undefined || (filter === null && depth === 0)) return () => true;
  if (!isRecord(filter)) throw new QueryValidationError('body failed validation: body.filter should be an object.');
  for (const group of ['and', 'or'] as const) {
    if (!(group in filter)) continue;
    if (depth >= MAX_GROUP_DEPTH)
      throw new QueryValidationError('body failed validation: compound filters can be nested at most two levels deep.');
    const parts = filter[group];
    if (!Array.isArray(parts) || Object.keys(filter).length !== 1)
      throw new QueryValidationError(`body failed validation: body.filter.${group} should be an array of filters.`);
    const compiled = parts.map((part) => compileFilter(part, depth + 1));
    return group === 'and' ? (row) => compiled.every((p) => p(row)) : (row) => compiled.some((p) => p(row));
  }
  const field = filter['timestamp'];
  if (field !== 'created_time' && field !== 'last_edited_time')
    throw new QueryValidationError(
      'The fake Notion server supports only timestamp filters (created_time, last_edited_time) and and/or groups of them; ' +
        `got ${JSON.stringify(filter)}.`,
    );
  const condition = filter[field];
  const entries = isRecord(condition) ? Object.entries(condition) : [];
  const [entry] = entries;
  if (entries.length !== 1 || !entry)
    throw new QueryValidationError(`body failed validation: body.filter.${field} should have exactly one condition.`);
  const [operator, value] = entry;
  if (!OPERATORS.has(operator) || typeof value !== 'string')
    throw new QueryValidationError(
      `body failed validation: body.filter.${field}.${operator} is not supported by the fake (use equals, before, after, on_or_before or on_or_after with an ISO 8601 date).`,
    );
  const test = timeTest(operator, value, field);
  return field === 'created_time' ? (row) => test(row.created) : (row) => test(row.edited);
}

/**
 * A date-only value covers its whole UTC day; a date-time is compared exactly
 * with the minute-rounded stored time (so `on_or_after: 12:30:45` misses a page
 * edited at 12:30:50, whose `last_edited_time` reads 12:30:00: the reason
 * incremental syncs must overlap their windows).
 */
function timeTest(operator: string, value: string, field: TimestampField): (t: number) => boolean {
  if (DATE_ONLY.test(value)) {
    const start = Date.parse(`${value}T00:00:00.000Z`);
    if (Number.isNaN(start)) throw invalidDate(field, operator, value);
    const end = start + DAY_MS;
    switch (operator) {
      case 'equals':
        return (t) => t >= start && t < end;
      case 'before':
        return (t) => t < start;
      case 'after':
        return (t) => t >= end;
      case 'on_or_before':
        return (t) => t < end;
      default:
        return (t) => t >= start;
    }
  }
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw invalidDate(field, operator, value);
  switch (operator) {
    case 'equals':
      return (t) => t === at;
    case 'before':
      return (t) => t < at;
    case 'after':
      return (t) => t > at;
    case 'on_or_before':
      return (t) => t <= at;
    default:
      return (t) => t >= at;
  }
}

const invalidDate = (field: string, operator: string, value: string) =>
  new QueryValidationError(
    `body failed validation: body.filter.${field}.${operator} should be a valid ISO 8601 date string, instead was \`${JSON.stringify(value)}\`.`,
  );

/** Parses `sorts`; property sorts are refused (the fake has no property ordering). */
export function parseSorts(sorts: unknown): readonly SortKey[] {
  if (sorts === undefined || sorts === null) return DEFAULT_SORTS;
  if (!Array.isArray(sorts)) throw new QueryValidationError('body failed validation: body.sorts should be an array.');
  if (sorts.length === 0) return DEFAULT_SORTS;
  return sorts.map((sort, i): SortKey => {
    if (!isRecord(sort))
      throw new QueryValidationError(`body failed validation: body.sorts[${i}] should be an object.`);
    if ('property' in sort)
      throw new QueryValidationError(
        'The fake Notion server sorts only by timestamp (created_time, last_edited_time), not by property.',
      );
    const field = sort['timestamp'];
    const direction = sort['direction'];
    if (
      (field !== 'created_time' && field !== 'last_edited_time') ||
      (direction !== 'ascending' && direction !== 'descending')
    )
      throw new QueryValidationError(
        `body failed validation: body.sorts[${i}] should be {timestamp: created_time|last_edited_time, direction: ascending|descending}.`,
      );
    return { field, descending: direction === 'descending' };
  });
}

/** Orders rows by the sorts, then by id, so the order (and every cursor) is total and stable. */
export function rowComparator(sorts: readonly SortKey[]): (a: QueryRow, b: QueryRow) => number {
  return (a, b) => {
    for (const { field, descending } of sorts) {
      const d = field === 'created_time' ? a.created - b.created : a.edited - b.edited;
      if (d !== 0) return descending ? -d : d;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

/** The first index whose row sorts at or after `position` (binary search). */
export function lowerBound<T extends QueryRow>(
  rows: readonly T[],
  position: QueryRow,
  compare: (a: QueryRow, b: QueryRow) => number,
): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(rows[mid]!, position) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A keyset cursor: the sort key of the next row (so rows added or removed
 * between pages never shift the rest), the query's fingerprint (a cursor is
 * valid only for the query that issued it) and how many rows the query has
 * returned so far (for the per-query result cap).
 */
export interface QueryCursor {
  readonly q: string;
  readonly n: number;
  readonly next: QueryRow;
}

export function encodeCursor(cursor: QueryCursor): string {
  const { q, n, next } = cursor;
  return Buffer.from(JSON.stringify([q, n, next.id, next.created, next.edited])).toString('base64url');
}

/** Decodes a cursor; undefined when it is not one of ours. */
export function decodeCursor(raw: string): QueryCursor | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 5) return undefined;
    const [q, n, id, created, edited] = parsed as unknown[];
    if (typeof q !== 'string' || typeof n !== 'number' || typeof id !== 'string') return undefined;
    if (typeof created !== 'number' || typeof edited !== 'number') return undefined;
    return { q, n, next: { id, created, edited } };
  } catch {
    return undefined;
  }
}

/** A short fingerprint of a query: the same data source, filter and sorts give the same value. */
export function queryFingerprint(dataSourceId: string, filter: unknown, sorts: readonly SortKey[]): string {
  return createHash('sha256')
    .update(stableStringify({ dataSourceId, filter: filter ?? null, sorts }))
    .digest('base64url')
    .slice(0, 16);
}

/** JSON with object keys sorted, so equal filters written in another key order match. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isRecord(value))
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}
