import { createHash } from 'node:crypto';
import { plainText, type FakePropertyType, type ShownValue } from './property-values.js';

/**
 * The data-source query semantics the fake implements, those of docs/queries.md
 * ("Semantics"): property filters of every type (by property name or id),
 * timestamp filters, `and` / `or` compounds two levels deep, property and
 * timestamp sorts (empty values last in both directions), and opaque keyset
 * cursors. A filter or sort the engine cannot evaluate is a 400
 * `validation_error`, so a test never passes on a filter the fake silently
 * ignored. Filters and sorts are compiled once per query; rows are then tested
 * and keyed by closures (10,000+ rows in milliseconds).
 */

export type TimestampField = 'created_time' | 'last_edited_time';

/** A row as the engine sees it: times in epoch ms, compared as numbers. */
export interface QueryRow {
  readonly id: string;
  readonly created: number;
  readonly edited: number;
}

/** A property as a query sees it. */
export interface QueryProperty<R extends QueryRow> {
  readonly id: string;
  readonly type: FakePropertyType;
  /** The row's value, real-shaped (the type's empty value when unset). */
  readonly read: (row: R) => ShownValue;
  /** select, status, multi_select: option names in the schema's order (their sort order). */
  readonly options: readonly string[];
}

export interface QueryContext<R extends QueryRow> {
  /** A property by id or name (an id wins), or undefined. */
  readonly property: (nameOrId: string) => QueryProperty<R> | undefined;
  /** The moment relative dates (`today`, `past_week`...) are measured from. */
  readonly now: Date;
}

export type RowPredicate<R> = (row: R) => boolean;

/** A sort key: null is an empty value (sorted last); a pair orders mixed types (formula, rollup) by type first. */
export type SortValue = null | number | string | readonly [number, number | string];

export interface CompiledSort<R> {
  /** Stable across equal sorts (property id or timestamp), for the query's fingerprint. */
  readonly key: string;
  readonly descending: boolean;
  readonly value: (row: R) => SortValue;
}

export interface CompiledQuery<R> {
  readonly predicate: RowPredicate<R>;
  readonly sorts: readonly CompiledSort<R>[];
  /** Ties by page id descending: the first sort is descending (docs/queries.md). */
  readonly tieDescending: boolean;
}

/** Rendered as Notion's 400 `validation_error`. */
export class QueryValidationError extends Error {}

const fail = (message: string) => new QueryValidationError(message);
const invalid = (path: string, should: string, value: unknown) =>
  fail(`body failed validation: ${path} should be ${should}, instead was \`${JSON.stringify(value)}\`.`);

const DAY_MS = 86_400_000;
/** Notion allows a compound filter inside a compound filter, no deeper. */
const MAX_GROUP_DEPTH = 2;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `table[key]` for input keys: never an inherited member (`constructor`, `toString`). */
const own = <T>(table: Readonly<Record<string, T>>, key: string): T | undefined =>
  Object.hasOwn(table, key) ? table[key] : undefined;

/** Compiles a query's `filter` and `sorts`, or throws `QueryValidationError`. */
export function compileQuery<R extends QueryRow>(
  body: { readonly filter?: unknown; readonly sorts?: unknown },
  ctx: QueryContext<R>,
): CompiledQuery<R> {
  const predicate = compileFilter(body.filter, ctx);
  const sorts = compileSorts(body.sorts, ctx);
  // docs/queries.md: ties by page id in the direction of the first sort.
  return { predicate, sorts, tieDescending: sorts[0]!.descending };
}

// ------------------------------------------------------------------ filters

/** Compiles a `filter` into a predicate (an absent filter matches every row). */
export function compileFilter<R extends QueryRow>(filter: unknown, ctx: QueryContext<R>): RowPredicate<R> {
  if (filter === undefined || filter === null) return () => true;
  return compileNode(filter, 'body.filter', 0, ctx);
}

function compileNode<R extends QueryRow>(
  filter: unknown,
  path: string,
  depth: number,
  ctx: QueryContext<R>,
): RowPredicate<R> {
  if (!isRecord(filter)) throw invalid(path, 'an object', filter);
  for (const group of ['and', 'or'] as const) {
    if (!(group in filter)) continue;
    if (depth >= MAX_GROUP_DEPTH)
      throw fail(`body failed validation: ${path} nests compound filters deeper than two levels.`);
    const parts = filter[group];
    if (!Array.isArray(parts) || Object.keys(filter).length !== 1)
      throw fail(`body failed validation: ${path}.${group} should be an array of filters (and nothing beside it).`);
    const compiled = parts.map((part, i) => compileNode(part, `${path}.${group}[${i}]`, depth + 1, ctx));
    // An empty `and` matches everything, an empty `or` nothing.
    return group === 'and' ? (row) => compiled.every((p) => p(row)) : (row) => compiled.some((p) => p(row));
  }
  if ('timestamp' in filter) return compileTimestampFilter(filter, path, ctx);
  if ('property' in filter) return compilePropertyFilter(filter, path, ctx);
  throw fail(`body failed validation: ${path} should be a property filter, a timestamp filter, \`and\` or \`or\`.`);
}

/** The one condition key beside `fixed` (and an optional `type` that must name it). */
function conditionKey(filter: Record<string, unknown>, path: string, fixed: string): string {
  const keys = Object.keys(filter).filter((k) => k !== fixed && k !== 'type');
  if (keys.length !== 1)
    throw fail(`body failed validation: ${path} should have exactly one condition beside \`${fixed}\`.`);
  const key = keys[0]!;
  if (filter['type'] !== undefined && filter['type'] !== key)
    throw invalid(`${path}.type`, `\`${key}\``, filter['type']);
  return key;
}

function compileTimestampFilter<R extends QueryRow>(
  filter: Record<string, unknown>,
  path: string,
  ctx: QueryContext<R>,
): RowPredicate<R> {
  const field = filter['timestamp'];
  if (field !== 'created_time' && field !== 'last_edited_time')
    throw invalid(`${path}.timestamp`, '`created_time` or `last_edited_time`', field);
  const key = conditionKey(filter, path, 'timestamp');
  if (key !== field) throw fail(`body failed validation: ${path}.${key} does not fit timestamp \`${field}\`.`);
  return pageTimeTest(field, filter[key], `${path}.${key}`, ctx.now);
}

/** A date condition on the page's own time (a number per row: no value is built). */
function pageTimeTest<R extends QueryRow>(
  field: TimestampField,
  condition: unknown,
  path: string,
  now: Date,
): RowPredicate<R> {
  const test = dateTest(condition, path, now);
  return field === 'created_time' ? (row) => test(row.created) : (row) => test(row.edited);
}

function compilePropertyFilter<R extends QueryRow>(
  filter: Record<string, unknown>,
  path: string,
  ctx: QueryContext<R>,
): RowPredicate<R> {
  const ref = filter['property'];
  if (typeof ref !== 'string') throw invalid(`${path}.property`, 'a string', ref);
  const property = ctx.property(ref);
  if (!property) throw fail(`Could not find property with name or id: ${ref} (${path}.property).`);
  const key = conditionKey(filter, path, 'property');
  if (key !== property.type)
    throw fail(
      `body failed validation: ${path}.${key} does not fit property ${JSON.stringify(ref)} of type ${property.type}.`,
    );
  const condition = filter[key];
  const conditionPath = `${path}.${key}`;
  if (property.type === 'created_time' || property.type === 'last_edited_time')
    return pageTimeTest(property.type, condition, conditionPath, ctx.now);
  const test = valueTest(property.type, condition, conditionPath, ctx.now);
  const { read } = property;
  return (row) => test(read(row));
}

type ValueTest = (value: ShownValue) => boolean;

/** A condition on a value of the property type `type` (the filter's key). */
function valueTest(type: FakePropertyType, condition: unknown, path: string, now: Date): ValueTest {
  if (type === 'formula') return formulaTest(condition, path, now);
  if (type === 'rollup') return rollupTest(condition, path, now);
  const kind = KIND_OF[type];
  const test = plainTest(kind, condition, path, now);
  return (value) => test(plainOf(kind, value));
}

/**
 * What a condition compares: the kinds of plain values. Each type's value
 * reduces to one (`plainOf`); empty values are null, `[]` or `0` files.
 */
type Kind = 'text' | 'number' | 'checkbox' | 'option' | 'options' | 'ids' | 'date' | 'files' | 'verification';

const KIND_OF: Record<Exclude<FakePropertyType, 'formula' | 'rollup'>, Kind> = {
  title: 'text',
  rich_text: 'text',
  url: 'text',
  email: 'text',
  phone_number: 'text',
  number: 'number',
  unique_id: 'number',
  checkbox: 'checkbox',
  select: 'option',
  status: 'option',
  multi_select: 'options',
  relation: 'ids',
  people: 'ids',
  created_by: 'ids',
  last_edited_by: 'ids',
  date: 'date',
  created_time: 'date',
  last_edited_time: 'date',
  files: 'files',
  verification: 'verification',
};

/** Dashes and case do not matter in ids (`1f2e...` and `1F2E-...` are one page). */
const idKey = (id: string) => id.replace(/-/g, '').toLowerCase();

/** The plain value of `value` for `kind` (callers make sure the value is of that kind). */
function plainOf(kind: Kind, value: ShownValue): Plain {
  switch (value.type) {
    case 'title':
      return plainText(value.title);
    case 'rich_text':
      return plainText(value.rich_text);
    case 'url':
      return value.url;
    case 'email':
      return value.email;
    case 'phone_number':
      return value.phone_number;
    case 'number':
      return value.number;
    case 'unique_id':
      return value.unique_id.number;
    case 'checkbox':
      return value.checkbox;
    case 'select':
      return value.select?.name ?? null;
    case 'status':
      return value.status?.name ?? null;
    case 'multi_select':
      return value.multi_select.map((o) => o.name);
    case 'relation':
      return value.relation.map((r) => idKey(r.id));
    case 'people':
      return value.people.map((u) => idKey(u.id));
    case 'created_by':
      return [idKey(value.created_by.id)];
    case 'last_edited_by':
      return [idKey(value.last_edited_by.id)];
    case 'date':
      return value.date ? dateInstant(value.date.start) : null;
    case 'created_time':
      return Date.parse(value.created_time);
    case 'last_edited_time':
      return Date.parse(value.last_edited_time);
    case 'files':
      return value.files.length;
    case 'verification': {
      const state = value.verification?.state;
      return state === 'verified' || state === 'expired' ? state : 'none';
    }
    default:
      throw new Error(`no plain ${kind} value for a ${value.type} value`);
  }
}

/** A plain value: text, a number (also a date's instant), a boolean, a list of names or ids, or null. */
type Plain = string | number | boolean | null | readonly string[];
type PlainTest = (plain: Plain) => boolean;

/** Ops whose operand every kind checks alike: `is_empty: true`, `is_not_empty: true`. */
const EXISTENCE = new Set(['is_empty', 'is_not_empty']);

/**
 * Compiles one condition (`{contains: "x"}`) on a plain value of `kind`. Every
 * negative operator is the negation of its positive one, and a positive one
 * never matches an empty value: so `does_not_*` matches empty values too.
 */
function plainTest(kind: Kind, condition: unknown, path: string, now: Date): PlainTest {
  if (kind === 'date') return dateTest(condition, path, now);
  const [op, operand] = singleCondition(condition, path);
  const opPath = `${path}.${op}`;
  const allowed = OPERATORS[kind];
  const existence = EXISTENCE.has(op) && kind !== 'checkbox' && kind !== 'verification';
  if (!existence && !allowed.includes(op))
    throw fail(
      `body failed validation: ${opPath} is not a ${kind === 'option' ? 'select or status' : kind} condition.`,
    );
  if (existence) {
    if (operand !== true) throw invalid(opPath, '`true`', operand);
    const empty = EMPTY[kind];
    return op === 'is_empty' ? empty : (plain) => !empty(plain);
  }
  const positiveOp = own(NEGATIONS, op);
  const positive = positiveTest(kind, positiveOp ?? op, operand, opPath);
  return positiveOp ? (plain) => !positive(plain) : positive;
}

/** Each negative operator and the positive one it negates. */
const NEGATIONS: Record<string, string> = { does_not_equal: 'equals', does_not_contain: 'contains' };

const OPERATORS: Record<Exclude<Kind, 'date'>, readonly string[]> = {
  text: ['equals', 'does_not_equal', 'contains', 'does_not_contain', 'starts_with', 'ends_with'],
  number: [
    'equals',
    'does_not_equal',
    'greater_than',
    'less_than',
    'greater_than_or_equal_to',
    'less_than_or_equal_to',
  ],
  checkbox: ['equals', 'does_not_equal'],
  option: ['equals', 'does_not_equal'],
  options: ['contains', 'does_not_contain'],
  ids: ['contains', 'does_not_contain'],
  files: [],
  verification: ['status', 'does_not_equal'],
};

const EMPTY: Record<Exclude<Kind, 'date'>, PlainTest> = {
  text: (s) => s === null || s === '',
  number: (n) => n === null,
  checkbox: () => false,
  option: (name) => name === null,
  options: (names) => Array.isArray(names) && names.length === 0,
  ids: (ids) => Array.isArray(ids) && ids.length === 0,
  files: (count) => count === 0,
  verification: () => false,
};

function singleCondition(condition: unknown, path: string): [string, unknown] {
  const entries = isRecord(condition) ? Object.entries(condition) : [];
  if (entries.length !== 1) throw invalid(path, 'an object with exactly one condition', condition);
  return entries[0]!;
}

/** The positive operator (`equals`, `contains`, `status`...) on a non-empty plain value. */
function positiveTest(kind: Exclude<Kind, 'date'>, op: string, operand: unknown, path: string): PlainTest {
  switch (kind) {
    case 'text': {
      if (typeof operand !== 'string') throw invalid(path, 'a string', operand);
      const needle = operand.toLowerCase();
      const compare = TEXT_OPS[op]!;
      return (s) => typeof s === 'string' && s !== '' && compare(s.toLowerCase(), needle);
    }
    case 'number': {
      if (typeof operand !== 'number' || !Number.isFinite(operand)) throw invalid(path, 'a number', operand);
      const compare = NUMBER_OPS[op]!;
      return (n) => typeof n === 'number' && compare(n, operand);
    }
    case 'checkbox':
      if (typeof operand !== 'boolean') throw invalid(path, 'a boolean', operand);
      return (b) => b === operand;
    case 'option': {
      const names = new Set(optionNames(operand, path));
      return (name) => typeof name === 'string' && names.has(name);
    }
    case 'options': {
      const names = new Set(optionNames(operand, path));
      return (values) => Array.isArray(values) && values.some((v: string) => names.has(v));
    }
    case 'ids': {
      if (operand === 'me')
        throw fail(`body failed validation: ${path}: "me" is not supported (the fake, like the mirror, has no "me").`);
      if (typeof operand !== 'string' || !/^[0-9a-f]{32}$/.test(idKey(operand)))
        throw invalid(path, 'a valid uuid', operand);
      const wanted = idKey(operand);
      return (ids) => Array.isArray(ids) && ids.includes(wanted);
    }
    case 'verification': {
      if (operand !== 'verified' && operand !== 'expired' && operand !== 'none')
        throw invalid(path, '`verified`, `expired` or `none`', operand);
      return (state) => state === operand;
    }
    case 'files':
      throw new Error('files have no positive operator');
  }
}

/** Case-insensitive, literal (no wildcards); both sides are lower-cased before. */
const TEXT_OPS: Record<string, (value: string, needle: string) => boolean> = {
  equals: (v, n) => v === n,
  contains: (v, n) => v.includes(n),
  starts_with: (v, n) => v.startsWith(n),
  ends_with: (v, n) => v.endsWith(n),
};

const NUMBER_OPS: Record<string, (value: number, operand: number) => boolean> = {
  equals: (v, o) => v === o,
  greater_than: (v, o) => v > o,
  less_than: (v, o) => v < o,
  greater_than_or_equal_to: (v, o) => v >= o,
  less_than_or_equal_to: (v, o) => v <= o,
};

/** `StringOrStringArray`: one option name, or a list meaning "any of". */
function optionNames(operand: unknown, path: string): readonly string[] {
  if (typeof operand === 'string') return [operand];
  if (Array.isArray(operand) && operand.every((o) => typeof o === 'string')) return operand as string[];
  throw invalid(path, 'a string or an array of strings', operand);
}

// -------------------------------------------------------------------- dates

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * An ISO 8601 date or date-time as an instant (epoch ms): a date-only value is
 * midnight UTC, a date-time without an offset is UTC. `dateOnly` tells which.
 */
export function parseIsoDate(value: string): { ms: number; dateOnly: boolean } | undefined {
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, offset] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month - 1)) return undefined;
  if (h === undefined) return { ms: Date.UTC(year, month - 1, day), dateOnly: true };
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s ?? 0);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  let ms = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (offset && offset.toUpperCase() !== 'Z') {
    const sign = offset[0] === '-' ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * 60_000;
  }
  return { ms, dateOnly: false };
}

/** A stored date's instant (its `start`); NaN never happens for values the builders made. */
const dateInstant = (start: string) => parseIsoDate(start)?.ms ?? Date.parse(start);

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month + 1, 0)).getUTCDate();

const utcDay = (now: Date) => Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());

/** `day` (a UTC midnight) moved by whole months, the day clamped to the month's last (Jan 31 + 1 month = Feb 28). */
function addMonths(day: number, months: number): number {
  const date = new Date(day);
  const target = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1));
  const last = daysInMonth(target.getUTCFullYear(), target.getUTCMonth());
  return Date.UTC(target.getUTCFullYear(), target.getUTCMonth(), Math.min(date.getUTCDate(), last));
}

/** Notion's relative operands: the UTC day they stand for. */
const RELATIVE_DAYS: Record<string, (today: number) => number> = {
  today: (t) => t,
  tomorrow: (t) => t + DAY_MS,
  yesterday: (t) => t - DAY_MS,
  one_week_ago: (t) => t - 7 * DAY_MS,
  one_week_from_now: (t) => t + 7 * DAY_MS,
  one_month_ago: (t) => addMonths(t, -1),
  one_month_from_now: (t) => addMonths(t, 1),
};

/** Relative conditions: [from, to) in epoch ms. */
const RELATIVE_RANGES: Record<string, (today: number) => readonly [number, number]> = {
  past_week: (t) => [t - 7 * DAY_MS, t + DAY_MS],
  past_month: (t) => [addMonths(t, -1), t + DAY_MS],
  past_year: (t) => [addMonths(t, -12), t + DAY_MS],
  next_week: (t) => [t, t + 8 * DAY_MS],
  next_month: (t) => [t, addMonths(t, 1) + DAY_MS],
  next_year: (t) => [t, addMonths(t, 12) + DAY_MS],
  this_week: (t) => {
    const monday = t - ((new Date(t).getUTCDay() + 6) % 7) * DAY_MS;
    return [monday, monday + 7 * DAY_MS];
  },
};

const DATE_COMPARISONS = new Set(['equals', 'before', 'after', 'on_or_before', 'on_or_after']);

/**
 * A date condition on an instant (null when empty). A date-only operand covers
 * its whole UTC day; a date-time operand is compared exactly with the stored
 * instant (so `on_or_after: 12:30:45` misses a page edited at 12:30:50, whose
 * minute-rounded `last_edited_time` reads 12:30:00: the reason incremental
 * syncs must overlap their windows).
 */
function dateTest(condition: unknown, path: string, now: Date): PlainTest {
  const [op, operand] = singleCondition(condition, path);
  const opPath = `${path}.${op}`;
  if (EXISTENCE.has(op)) {
    if (operand !== true) throw invalid(opPath, '`true`', operand);
    return op === 'is_empty' ? (t) => t === null : (t) => t !== null;
  }
  const today = utcDay(now);
  const range = own(RELATIVE_RANGES, op);
  if (range) {
    if (!isRecord(operand) || Object.keys(operand).length !== 0) throw invalid(opPath, 'an empty object', operand);
    const [from, to] = range(today);
    return (t) => typeof t === 'number' && t >= from && t < to;
  }
  if (!DATE_COMPARISONS.has(op)) throw fail(`body failed validation: ${opPath} is not a date condition.`);
  const relative = typeof operand === 'string' ? own(RELATIVE_DAYS, operand) : undefined;
  const parsed = relative
    ? { ms: relative(today), dateOnly: true }
    : typeof operand === 'string'
      ? parseIsoDate(operand)
      : undefined;
  if (!parsed) throw invalid(opPath, 'a valid ISO 8601 date string or a relative date', operand);
  const start = parsed.ms;
  if (parsed.dateOnly) {
    const end = start + DAY_MS;
    switch (op) {
      case 'equals':
        return (t) => typeof t === 'number' && t >= start && t < end;
      case 'before':
        return (t) => typeof t === 'number' && t < start;
      case 'after':
        return (t) => typeof t === 'number' && t >= end;
      case 'on_or_before':
        return (t) => typeof t === 'number' && t < end;
      default:
        return (t) => typeof t === 'number' && t >= start;
    }
  }
  switch (op) {
    case 'equals':
      return (t) => t === start;
    case 'before':
      return (t) => typeof t === 'number' && t < start;
    case 'after':
      return (t) => typeof t === 'number' && t > start;
    case 'on_or_before':
      return (t) => typeof t === 'number' && t <= start;
    default:
      return (t) => typeof t === 'number' && t >= start;
  }
}

// ------------------------------------------------------- formulas and rollups

/** The formula condition's key -> the computed value type it fits. */
const FORMULA_TYPES: Record<string, { readonly result: string; readonly kind: Kind }> = {
  string: { result: 'string', kind: 'text' },
  checkbox: { result: 'boolean', kind: 'checkbox' },
  number: { result: 'number', kind: 'number' },
  date: { result: 'date', kind: 'date' },
};

/**
 * A condition of the formula's computed type; a value of another type never
 * matches (negations included), and an empty value is empty of every type
 * (docs/queries.md).
 */
function formulaTest(condition: unknown, path: string, now: Date): ValueTest {
  const [key, inner] = singleCondition(condition, path);
  const fit = own(FORMULA_TYPES, key);
  if (!fit)
    throw fail(`body failed validation: ${path}.${key} is not a formula condition (string, checkbox, number, date).`);
  const test = plainTest(fit.kind, inner, `${path}.${key}`, now);
  return (value) => {
    if (value.type !== 'formula') return false;
    const result = value.formula;
    if (result.type !== fit.result) {
      const computed = (result as Record<string, unknown>)[result.type];
      return computed === null || computed === '' ? test(null) : false;
    }
    switch (result.type) {
      case 'date':
        return test(result.date ? dateInstant(result.date.start) : null);
      case 'string':
        return test(result.string);
      case 'number':
        return test(result.number);
      case 'boolean':
        return test(result.boolean);
    }
  };
}

/** Which element types each `any` / `every` / `none` sub-condition fits. */
const ROLLUP_ELEMENTS: Record<string, readonly FakePropertyType[]> = {
  rich_text: ['title', 'rich_text', 'url', 'email', 'phone_number'],
  number: ['number', 'unique_id'],
  checkbox: ['checkbox'],
  select: ['select'],
  status: ['status'],
  multi_select: ['multi_select'],
  relation: ['relation'],
  date: ['date', 'created_time', 'last_edited_time'],
  people: ['people', 'created_by', 'last_edited_by'],
  files: ['files'],
};

/**
 * `number` / `date` on number and date rollups; `any`, `every`, `none` on the
 * elements of array rollups (an element of another type does not match;
 * `every` and `none` hold for an empty rollup). A rollup of another type than
 * the condition's never matches.
 */
function rollupTest(condition: unknown, path: string, now: Date): ValueTest {
  const [key, inner] = singleCondition(condition, path);
  const innerPath = `${path}.${key}`;
  if (key === 'number' || key === 'date') {
    const test = plainTest(key, inner, innerPath, now);
    return (value) => {
      if (value.type !== 'rollup' || value.rollup.type !== key) return false;
      const rollup = value.rollup;
      if (rollup.type === 'date') return test(rollup.date ? dateInstant(rollup.date.start) : null);
      return test(rollup.type === 'number' ? rollup.number : null);
    };
  }
  if (key !== 'any' && key !== 'every' && key !== 'none')
    throw fail(`body failed validation: ${innerPath} is not a rollup condition (any, every, none, number, date).`);
  const [subKey, subCondition] = singleCondition(inner, innerPath);
  const fits = own(ROLLUP_ELEMENTS, subKey);
  if (!fits) throw fail(`body failed validation: ${innerPath}.${subKey} is not a rollup element condition.`);
  const kind = KIND_OF[fits[0] as keyof typeof KIND_OF];
  const test = plainTest(kind, subCondition, `${innerPath}.${subKey}`, now);
  const element = (item: ShownValue) => fits.includes(item.type) && test(plainOf(kind, item));
  return (value) => {
    if (value.type !== 'rollup' || value.rollup.type !== 'array') return false;
    const items = value.rollup.array;
    if (key === 'any') return items.some(element);
    if (key === 'every') return items.every(element);
    return !items.some(element);
  };
}

// -------------------------------------------------------------------- sorts

/**
 * Notion does not document the order of a query without `sorts`; the fake uses
 * newest created first, so code that needs an order has to ask for one.
 */
const DEFAULT_SORT_BODY = [{ timestamp: 'created_time', direction: 'descending' }];

export function compileSorts<R extends QueryRow>(sorts: unknown, ctx: QueryContext<R>): CompiledSort<R>[] {
  if (sorts === undefined || sorts === null) return compileSorts(DEFAULT_SORT_BODY, ctx);
  if (!Array.isArray(sorts)) throw invalid('body.sorts', 'an array', sorts);
  if (sorts.length === 0) return compileSorts(DEFAULT_SORT_BODY, ctx);
  return sorts.map((sort, i): CompiledSort<R> => {
    const path = `body.sorts[${i}]`;
    if (!isRecord(sort)) throw invalid(path, 'an object', sort);
    const direction = sort['direction'];
    if (direction !== 'ascending' && direction !== 'descending')
      throw invalid(`${path}.direction`, '`ascending` or `descending`', direction);
    const descending = direction === 'descending';
    const subject = 'property' in sort ? 'property' : 'timestamp';
    if (Object.keys(sort).length !== 2 || !(subject in sort))
      throw fail(`body failed validation: ${path} should be {property, direction} or {timestamp, direction}.`);
    if (subject === 'timestamp') {
      const field = sort['timestamp'];
      if (field !== 'created_time' && field !== 'last_edited_time')
        throw invalid(`${path}.timestamp`, '`created_time` or `last_edited_time`', field);
      return {
        key: `timestamp:${field}`,
        descending,
        value: field === 'created_time' ? (row) => row.created : (row) => row.edited,
      };
    }
    const ref = sort['property'];
    if (typeof ref !== 'string') throw invalid(`${path}.property`, 'a string', ref);
    const property = ctx.property(ref);
    if (!property) throw fail(`Could not find sort property with name or id: ${ref} (${path}.property).`);
    return { key: `property:${property.id}`, descending, value: propertySortValue(property) };
  });
}

function propertySortValue<R extends QueryRow>(property: QueryProperty<R>): (row: R) => SortValue {
  if (property.type === 'created_time') return (row) => row.created;
  if (property.type === 'last_edited_time') return (row) => row.edited;
  const ranks = new Map(property.options.map((name, i) => [name, i]));
  const { read } = property;
  return (row) => sortValue(read(row), ranks);
}

/**
 * A value's sort key: text by its lower case (code point order), numbers,
 * dates and times by value, checkbox false before true, select and status by
 * the option's position, lists by their first element, unique_id by its
 * number, formulas and rollups by type (number, date, text, boolean) then
 * value. Null: empty.
 */
function sortValue(value: ShownValue, ranks: ReadonlyMap<string, number>): SortValue {
  switch (value.type) {
    case 'title':
    case 'rich_text':
    case 'url':
    case 'email':
    case 'phone_number': {
      const text = plainOf('text', value) as string | null;
      return text ? text.toLowerCase() : null;
    }
    case 'number':
      return value.number;
    case 'unique_id':
      return value.unique_id.number;
    case 'checkbox':
      return value.checkbox ? 1 : 0;
    case 'select':
    case 'status': {
      const name = plainOf('option', value) as string | null;
      return name === null ? null : (ranks.get(name) ?? ranks.size);
    }
    case 'multi_select': {
      const first = value.multi_select[0];
      return first ? (ranks.get(first.name) ?? ranks.size) : null;
    }
    case 'relation':
    case 'people':
    case 'created_by':
    case 'last_edited_by':
      return (plainOf('ids', value) as string[])[0] ?? null;
    case 'date':
    case 'created_time':
    case 'last_edited_time':
      return plainOf('date', value) as number | null;
    case 'files':
      return value.files[0]?.name.toLowerCase() ?? null;
    case 'verification':
      return plainOf('verification', value) as string;
    case 'formula': {
      const result = value.formula;
      switch (result.type) {
        case 'number':
          return result.number === null ? null : [0, result.number];
        case 'date':
          return result.date ? [1, dateInstant(result.date.start)] : null;
        case 'string':
          return result.string ? [2, result.string.toLowerCase()] : null;
        case 'boolean':
          return result.boolean === null ? null : [3, result.boolean ? 1 : 0];
        default:
          return null;
      }
    }
    case 'rollup': {
      const rollup = value.rollup;
      if (rollup.type === 'number') return rollup.number === null ? null : [0, rollup.number];
      if (rollup.type === 'date') return rollup.date ? [1, dateInstant(rollup.date.start)] : null;
      const first = rollup.array[0];
      return first ? mixed(first) : null;
    }
  }
}

/** An array rollup's first element, keyed by its type's rank (number, date, text and the rest, boolean). */
function mixed(item: ShownValue): SortValue {
  // Options of another data source: by name.
  const option =
    item.type === 'select'
      ? item.select
      : item.type === 'status'
        ? item.status
        : item.type === 'multi_select'
          ? (item.multi_select[0] ?? null)
          : undefined;
  const key = option === undefined ? sortValue(item, new Map()) : (option?.name.toLowerCase() ?? null);
  if (key === null || Array.isArray(key)) return key;
  const kind = KIND_OF[item.type as keyof typeof KIND_OF];
  const rank = kind === 'number' ? 0 : kind === 'date' ? 1 : kind === 'checkbox' ? 3 : 2;
  return [rank, key as number | string];
}

/** Code point order (UTF-16 code units differ above U+FFFF), as Postgres's "C" collation sorts UTF-8. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800-0xDFFF) stand for code points above every BMP one.
    if (x >= 0xd800) x = x < 0xe000 ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    return x - y;
  }
  return a.length - b.length;
}

function compareValues(a: SortValue, b: SortValue): number {
  if (Array.isArray(a) && Array.isArray(b)) return a[0] - b[0] || compareValues(a[1], b[1]);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  return 0;
}

/** A row in the query's order, its sort keys computed once. */
export interface SortedRow<R> {
  readonly row: R;
  readonly keys: readonly SortValue[];
}

/** A position in the order: the keys and id of a row (all a cursor needs). */
export interface SortPosition {
  readonly id: string;
  readonly keys: readonly SortValue[];
}

/** Orders by the sorts (empty values last in both directions), then by page id, so the order is total. */
export function positionComparator(query: {
  readonly sorts: readonly { readonly descending: boolean }[];
  readonly tieDescending: boolean;
}): (a: SortPosition, b: SortPosition) => number {
  const directions = query.sorts.map((s) => (s.descending ? -1 : 1));
  const tie = query.tieDescending ? -1 : 1;
  return (a, b) => {
    for (let i = 0; i < directions.length; i++) {
      const x = a.keys[i]!;
      const y = b.keys[i]!;
      if (x === null || y === null) {
        if (x !== y) return x === null ? 1 : -1;
        continue;
      }
      const d = compareValues(x, y);
      if (d !== 0) return d * directions[i]!;
    }
    return a.id < b.id ? -tie : a.id > b.id ? tie : 0;
  };
}

/** Filters and orders `rows`. */
export function runQuery<R extends QueryRow>(rows: readonly R[], query: CompiledQuery<R>): SortedRow<R>[] {
  const compare = positionComparator(query);
  const sorted: (SortedRow<R> & SortPosition)[] = [];
  for (const row of rows)
    if (query.predicate(row)) sorted.push({ row, id: row.id, keys: query.sorts.map((s) => s.value(row)) });
  return sorted.sort(compare);
}

/** The first index whose row sorts at or after `position` (binary search). */
export function lowerBound<R extends QueryRow>(
  rows: readonly SortedRow<R>[],
  position: SortPosition,
  compare: (a: SortPosition, b: SortPosition) => number,
): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const entry = rows[mid]!;
    if (compare({ id: entry.row.id, keys: entry.keys }, position) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ------------------------------------------------------------------ cursors

/**
 * A keyset cursor: the sort position of the next row (so rows added or removed
 * between pages never shift the rest), the query's fingerprint (a cursor is
 * valid only for the query that issued it) and how many rows the query has
 * returned so far (for the per-query result cap).
 */
export interface QueryCursor {
  readonly q: string;
  readonly n: number;
  readonly next: SortPosition;
}

export function encodeCursor(cursor: QueryCursor): string {
  const { q, n, next } = cursor;
  return Buffer.from(JSON.stringify([q, n, next.id, next.keys])).toString('base64url');
}

const isSortValue = (value: unknown): value is SortValue =>
  value === null ||
  typeof value === 'number' ||
  typeof value === 'string' ||
  (Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === 'number' &&
    (typeof value[1] === 'number' || typeof value[1] === 'string'));

/** Decodes a cursor; undefined when it is not one of ours. */
export function decodeCursor(raw: string): QueryCursor | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 4) return undefined;
    const [q, n, id, keys] = parsed as unknown[];
    if (typeof q !== 'string' || typeof n !== 'number' || typeof id !== 'string') return undefined;
    if (!Array.isArray(keys) || !keys.every(isSortValue)) return undefined;
    return { q, n, next: { id, keys } };
  } catch {
    return undefined;
  }
}

/** A short fingerprint of a query: the same data source, filter and sorts give the same value. */
export function queryFingerprint(
  dataSourceId: string,
  filter: unknown,
  sorts: readonly { readonly key: string; readonly descending: boolean }[],
): string {
  return createHash('sha256')
    .update(
      stableStringify({
        dataSourceId,
        filter: filter ?? null,
        sorts: sorts.map((s) => [s.key, s.descending]),
      }),
    )
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
